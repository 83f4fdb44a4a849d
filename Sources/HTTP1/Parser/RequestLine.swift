/// `request-line = method SP request-target SP HTTP-version CRLF` (RFC 9112 3), with exactly one
/// SP between the parts.
extension RequestHead: StartLine {
    static var lineTooLong: ParseErrorCode { .requestLineTooLong }
    static var maxLeadingEmptyLines: Int { 4 }

    mutating func parseStartLine(_ p: UnsafePointer<UInt8>, start: Int, end: Int) -> LineResult {
        let methodEnd = ASCII.skipToken(p, start, end)
        guard methodEnd < end else { return .needMore }
        guard p[methodEnd] == ASCII.sp && methodEnd > start else {
            return .error(isSeparator(p[methodEnd]) ? .badRequestLine : .badMethod)
        }
        method = HTTPMethod.identify(p + start, methodEnd - start)
        methodSpan = Span(start, methodEnd)

        let t = ByteClass.table
        let targetStart = methodEnd + 1
        var i = targetStart
        while i < end && t[Int(p[i])] & ByteClass.target != 0 { i += 1 }
        guard i < end else { return .needMore }
        guard p[i] == ASCII.sp && i > targetStart else {
            // SP, CR or LF here means a doubled SP or a missing version; anything else is a byte a
            // target may not hold (CTL, HTAB, obs-text, '#').
            let b = p[i]
            return .error(b == ASCII.sp || b == ASCII.cr || b == ASCII.lf ? .badRequestLine : .badTarget)
        }
        if let e = setTarget(p, targetStart, i) { return .error(e) }
        return parseVersion(p, i + 1, end)
    }

    private mutating func parseVersion(_ p: UnsafePointer<UInt8>, _ v: Int, _ end: Int) -> LineResult {
        switch VersionSyntax.parse(p, v, end) {
        case .needMore:
            return .needMore
        case .error:
            return .error(v < end && isSeparator(p[v]) ? .badRequestLine : .badVersion)
        case .minor(let m):
            versionMinor = m
        }
        let i = v + 8
        guard i < end else { return .needMore }
        guard p[i] == ASCII.cr else {
            // "HTTP/1.10" or "HTTP/1.1x" are bad versions; a trailing SP or a bare LF breaks the line.
            return .error(isSeparator(p[i]) ? .badRequestLine : .badVersion)
        }
        guard i + 1 < end else { return .needMore }
        return p[i + 1] == ASCII.lf ? .end(next: i + 2) : .error(.badRequestLine)
    }

    @inline(__always)
    private func isSeparator(_ b: UInt8) -> Bool {
        b == ASCII.sp || b == ASCII.htab || b == ASCII.cr || b == ASCII.lf
    }
}
