/// Character classes of RFC 9110 and RFC 3986, one bit each, looked up once per byte on the hot path.
enum ByteClass {
    /// tchar: methods, field names, codings, parameter names.
    static let token: UInt8 = 1 << 0
    /// field-vchar / SP / HTAB, obs-text included: field values, reason phrases, quoted-strings.
    static let fieldValue: UInt8 = 1 << 1
    /// request-target bytes: VCHAR except '#' (a fragment is never part of a request, RFC 9112 3.2).
    static let target: UInt8 = 1 << 2
    static let hexDigit: UInt8 = 1 << 3
    /// unreserved / sub-delims (RFC 3986 3.2.2): a reg-name or IPv4 host; '%' escapes are checked apart.
    static let host: UInt8 = 1 << 4

    /// 256 entries, built once and never freed. A raw pointer instead of an Array because every
    /// UInt8 index is in bounds by construction, so lookups need no bounds check. Written only
    /// by its initializer (which Swift runs once), so any thread may read it.
    nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for b in 0..<256 { t[b] = classify(UInt8(b)) }
        return UnsafePointer(t)
    }()

    static func classify(_ b: UInt8) -> UInt8 {
        let lower = b | 0x20  // folds only letters into a-z; '@' and '[' land outside a...z
        let alpha = lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")
        let digit = ASCII.isDigit(b)
        let vchar = b >= 0x21 && b <= 0x7E
        var c: UInt8 = 0
        if alpha || digit || ASCII.contains("!#$%&'*+-.^_`|~", b) { c |= token }
        if vchar || b >= 0x80 || b == ASCII.sp || b == ASCII.htab { c |= fieldValue }
        if vchar && b != UInt8(ascii: "#") { c |= target }
        if digit || (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f")) { c |= hexDigit }
        if alpha || digit || ASCII.contains("-._~!$&'()*+,;=", b) { c |= host }
        return c
    }
}

enum ASCII {
    static let htab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let sp: UInt8 = 0x20

    @inline(__always) static func isOWS(_ b: UInt8) -> Bool { b == sp || b == htab }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func lowercased(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    /// Value of a byte already known to be a hex digit.
    @inline(__always) static func hexValue(_ b: UInt8) -> Int {
        ASCII.isDigit(b) ? Int(b &- 0x30) : Int((b | 0x20) &- 0x57)
    }

    static func contains(_ set: StaticString, _ b: UInt8) -> Bool {
        let s = set.utf8Start
        for k in 0..<set.utf8CodeUnitCount where s[k] == b { return true }
        return false
    }

    @inline(__always)
    static func equals(_ p: UnsafePointer<UInt8>, _ count: Int, _ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let q = literal.utf8Start
        for k in 0..<count where p[k] != q[k] { return false }
        return true
    }

    /// `lower` must be lowercase ASCII. Only A-Z are folded, so '^' never matches '~'.
    @inline(__always)
    static func equalsIgnoringCase(_ p: UnsafePointer<UInt8>, _ count: Int, _ lower: StaticString) -> Bool {
        guard count == lower.utf8CodeUnitCount else { return false }
        let q = lower.utf8Start
        for k in 0..<count where lowercased(p[k]) != q[k] { return false }
        return true
    }

    @inline(__always)
    static func skipOWS(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int {
        var i = from
        while i < end && isOWS(p[i]) { i += 1 }
        return i
    }

    @inline(__always)
    static func skipToken(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int {
        let t = ByteClass.table
        var i = from
        while i < end && t[Int(p[i])] & ByteClass.token != 0 { i += 1 }
        return i
    }
}
