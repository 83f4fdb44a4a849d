/// `status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF` (RFC 9112 4).
/// Leniency: the SP before an empty reason may be missing ("HTTP/1.1 200\r\n").
extension ResponseHead: StartLine {
    static var lineTooLong: ParseErrorCode { .badStatusLine }
    static var maxLeadingEmptyLines: Int { 0 }

    private static let inReason: UInt8 = 1

    mutating func parseStartLine(_ p: UnsafePointer<UInt8>, start: Int, end: Int, _ c: inout LineCursor) -> LineResult {
        if c.phase == Self.inReason { return parseReason(p, end, &c) }
        // Version and code are 13 bytes at most: re-read from the start until the reason begins.
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
        switch p[i] {
        case ASCII.sp: c.mark1 = i + 1
        case ASCII.cr: c.mark1 = i
        case ASCII.lf: return .error(.badStatusLine)
        default: return .error(.badStatus)  // a fourth digit or junk glued to the code
        }
        c.pos = c.mark1
        return parseReason(p, end, &c)
    }

    private mutating func parseReason(_ p: UnsafePointer<UInt8>, _ end: Int, _ c: inout LineCursor) -> LineResult {
        let t = ByteClass.table
        var i = c.pos
        while i < end && t[Int(p[i])] & ByteClass.fieldValue != 0 { i += 1 }
        guard i < end else { return c.suspend(Self.inReason, at: i) }
        guard p[i] == ASCII.cr else { return .error(.badStatusLine) }
        guard i + 1 < end else { return c.suspend(Self.inReason, at: i) }
        guard p[i + 1] == ASCII.lf else { return .error(.badStatusLine) }
        reason = ByteRange(c.mark1, i)
        return .end(next: i + 2)
    }
}
