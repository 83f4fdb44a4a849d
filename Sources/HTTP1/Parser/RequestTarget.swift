/// request-target forms of RFC 9112 3.2. The bytes were already checked against
/// `ByteClass.target` (VCHAR except '#'); this checks the shape each form must have.
extension RequestHead {
    mutating func setTarget(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> ParseErrorCode? {
        target = ByteRange(start, end)
        path = .empty
        query = .empty
        authority = .empty
        if method == .CONNECT {
            // CONNECT takes only authority-form, and authority-form only goes with CONNECT (3.2.3).
            guard Authority.isValid(p, start, end, allowEmpty: false, requirePort: true) else { return .badTarget }
            form = .authority
            authority = target
            return nil
        }
        switch p[start] {
        case UInt8(ascii: "/"):
            form = .origin
            splitPathAndQuery(p, start, end)
            return nil
        case UInt8(ascii: "*"):
            guard end - start == 1 && method == .OPTIONS else { return .badTarget }
            form = .asterisk
            path = target
            return nil
        default:
            return setAbsoluteTarget(p, start, end)
        }
    }

    /// `scheme "://" authority path-abempty [ "?" query ]`. Any scheme is accepted, but it must have
    /// an authority: that is what lets the server route it (RFC 9112 3.2.2).
    private mutating func setAbsoluteTarget(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> ParseErrorCode? {
        var i = start
        guard isAlpha(p[i]) else { return .badTarget }
        while i < end && isSchemeByte(p[i]) { i += 1 }
        guard end - i >= 3, p[i] == UInt8(ascii: ":"), p[i + 1] == UInt8(ascii: "/"),
              p[i + 2] == UInt8(ascii: "/") else { return .badTarget }
        let authorityStart = i + 3
        var j = authorityStart
        while j < end && p[j] != UInt8(ascii: "/") && p[j] != UInt8(ascii: "?") { j += 1 }
        guard Authority.isValid(p, authorityStart, j, allowEmpty: false, requirePort: false) else { return .badTarget }
        form = .absolute
        authority = ByteRange(authorityStart, j)
        if j < end && p[j] == UInt8(ascii: "/") {
            splitPathAndQuery(p, j, end)
        } else {
            // Empty path means "/" (RFC 9110 4.2.3). A byte range cannot hold bytes that are not in the
            // buffer, so it points at the second '/' of "://", which is one.
            path = ByteRange(i + 2, i + 3)
            if j < end { query = ByteRange(j + 1, end) }
        }
        return nil
    }

    private mutating func splitPathAndQuery(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) {
        var q = start
        while q < end && p[q] != UInt8(ascii: "?") { q += 1 }
        path = ByteRange(start, q)
        if q < end { query = ByteRange(q + 1, end) }
    }

    @inline(__always) private func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- UInt8(ascii: "a") < 26 }

    @inline(__always) private func isSchemeByte(_ b: UInt8) -> Bool {
        isAlpha(b) || ASCII.isDigit(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }
}
