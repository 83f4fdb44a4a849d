/// `request-line = method SP request-target SP HTTP-version CRLF` (RFC 9112 3), with exactly one
/// SP between the parts.
extension RequestHead: StartLine {
    static var lineTooLong: ParseErrorCode { .requestLineTooLong }
    static var maxLeadingEmptyLines: Int { 4 }

    private static let inMethod: UInt8 = 1, inTarget: UInt8 = 2, inVersion: UInt8 = 3

    mutating func parseStartLine(_ p: UnsafePointer<UInt8>, start: Int, end: Int, _ c: inout LineCursor) -> LineResult {
        var i = c.phase == 0 ? start : c.pos
        switch c.phase {
        case 0, Self.inMethod:
            i = ASCII.skipToken(p, i, end)
            guard i < end else { return c.suspend(Self.inMethod, at: i) }
            guard p[i] == ASCII.sp && i > start else {
                return .error(isSeparator(p[i]) ? .badRequestLine : .badMethod)
            }
            method = HTTPMethod.identify(p + start, i - start)
            methodRange = ByteRange(start, i)
            i += 1
            c.mark1 = i
            fallthrough
        case Self.inTarget:
            let t = ByteClass.table
            while i < end && t[Int(p[i])] & ByteClass.target != 0 { i += 1 }
            guard i < end else { return c.suspend(Self.inTarget, at: i) }
            guard p[i] == ASCII.sp && i > c.mark1 else {
                // SP, CR or LF here means a doubled SP or a missing version; anything else is a
                // byte a target may not hold (CTL, HTAB, obs-text, '#').
                let b = p[i]
                return .error(b == ASCII.sp || b == ASCII.cr || b == ASCII.lf ? .badRequestLine : .badTarget)
            }
            if let e = setTarget(p, c.mark1, i) { return .error(e) }
            c.mark2 = i + 1
            fallthrough
        default:
            // At most 10 bytes: simply re-read from the version's start when resumed.
            let r = parseVersion(p, c.mark2, end)
            if case .needMore = r { return c.suspend(Self.inVersion, at: c.mark2) }
            return r
        }
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
