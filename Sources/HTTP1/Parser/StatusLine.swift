/// `status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF` (RFC 9112 4).
/// Leniency: the SP before an empty reason may be missing ("HTTP/1.1 200\r\n").
extension ResponseHead: StartLine {
    static var lineTooLong: ParseErrorCode { .badStatusLine }
    static var maxLeadingEmptyLines: Int { 0 }

    mutating func parseStartLine(_ p: UnsafePointer<UInt8>, start: Int, end: Int) -> LineResult {
        switch VersionSyntax.parse(p, start, end) {
        case .needMore: return .needMore
        case .error: return .error(.badVersion)
        case .minor(let m): versionMinor = m
        }
        var i = start + 8
        guard i < end else { return .needMore }
        guard p[i] == ASCII.sp else {
            return .error(p[i] == ASCII.cr || p[i] == ASCII.lf || p[i] == ASCII.htab ? .badStatusLine : .badVersion)
        }
        i += 1
        var code: UInt16 = 0
        for k in i..<(i + 3) {
            guard k < end else { return .needMore }
            guard ASCII.isDigit(p[k]) else { return .error(.badStatus) }
            code = code * 10 + UInt16(p[k] &- 0x30)
        }
        // Only 100...599 are defined (RFC 9110 15).
        guard code >= 100 && code <= 599 else { return .error(.badStatus) }
        status = code
        i += 3
        guard i < end else { return .needMore }
        let reasonStart: Int
        switch p[i] {
        case ASCII.sp: reasonStart = i + 1
        case ASCII.cr: reasonStart = i
        case ASCII.lf: return .error(.badStatusLine)
        default: return .error(.badStatus)  // a fourth digit or junk glued to the code
        }
        return parseReason(p, reasonStart, end)
    }

    private mutating func parseReason(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> LineResult {
        let t = ByteClass.table
        var i = start
        while i < end && t[Int(p[i])] & ByteClass.fieldValue != 0 { i += 1 }
        guard i < end else { return .needMore }
        guard p[i] == ASCII.cr else { return .error(.badStatusLine) }
        guard i + 1 < end else { return .needMore }
        guard p[i + 1] == ASCII.lf else { return .error(.badStatusLine) }
        reason = Span(start, i)
        return .end(next: i + 2)
    }
}
