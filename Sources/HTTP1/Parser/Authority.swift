/// `uri-host [ ":" port ]` (RFC 3986 3.2.2, 3.2.3) as found in Host, authority-form targets and
/// the authority of absolute-form targets. userinfo ("@") is rejected (RFC 9110 4.2.4).
enum Authority {
    static func isValid(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                        allowEmpty: Bool, requirePort: Bool) -> Bool {
        if start == end { return allowEmpty && !requirePort }
        guard let hostEnd = skipHost(p, start, end), hostEnd > start else { return false }
        if hostEnd == end { return !requirePort }
        guard p[hostEnd] == UInt8(ascii: ":") else { return false }
        // RFC 3986 allows an empty port; we do not: "host:" is almost surely a broken sender.
        let digits = end - (hostEnd + 1)
        guard digits >= 1 && digits <= 5 else { return false }
        for k in (hostEnd + 1)..<end where !ASCII.isDigit(p[k]) { return false }
        return true
    }

    /// IP-literal, or reg-name / IPv4address; returns where the host ends.
    private static func skipHost(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        let t = ByteClass.table
        var i = start
        if p[i] == UInt8(ascii: "[") {
            // IPv6address / IPvFuture: hex digits, ':', '.', and the unreserved/sub-delims of IPvFuture.
            i += 1
            while i < end && (t[Int(p[i])] & ByteClass.host != 0 || p[i] == UInt8(ascii: ":")) { i += 1 }
            guard i < end && p[i] == UInt8(ascii: "]") && i > start + 1 else { return nil }
            return i + 1
        }
        while i < end {
            if t[Int(p[i])] & ByteClass.host != 0 {
                i += 1
            } else if p[i] == UInt8(ascii: "%") && i + 2 < end
                        && t[Int(p[i + 1])] & t[Int(p[i + 2])] & ByteClass.hexDigit != 0 {
                i += 3
            } else {
                break
            }
        }
        return i
    }
}
