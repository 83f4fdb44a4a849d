// Appends compact JSON (no whitespace) to a byte buffer. Commas are inserted automatically:
// call key(_:) before each object member's value. Strings are escaped per RFC 8259:
// `"` `\` and \b \f \n \r \t by name, other control characters (< 0x20) as \u00XX
// (lowercase hex); everything else, including non-ASCII, is emitted as UTF-8.

public struct JSONWriter {
    public var bytes: [UInt8]
    @usableFromInline var needsComma = false

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always) mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    public mutating func key(_ k: String) {
        separate()
        appendQuoted(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ s: String) { separate(); appendQuoted(s); needsComma = true }
    public mutating func int(_ v: Int64) { separate(); appendInt(v); needsComma = true }
    public mutating func int(_ v: Int) { int(Int64(v)) }
    public mutating func bool(_ v: Bool) { separate(); appendLiteral(v ? "true" : "false"); needsComma = true }
    public mutating func null() { separate(); appendLiteral("null"); needsComma = true }
    /// Appends pre-encoded JSON as one value (the caller guarantees it is valid JSON).
    public mutating func raw(_ json: [UInt8]) { separate(); bytes.append(contentsOf: json); needsComma = true }

    public mutating func double(_ v: Double) {
        if v.isFinite {
            separate()
            bytes.append(contentsOf: v.description.utf8)
            needsComma = true
        } else {
            null()
        }
    }

    // Convenience members.
    public mutating func field(_ k: String, _ v: String) { key(k); string(v) }
    public mutating func field(_ k: String, _ v: Int64) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Int64?) { key(k); if let v { int(v) } else { null() } }
    public mutating func field(_ k: String, _ v: Bool) { key(k); bool(v) }

    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .array(let items):
            beginArray()
            for item in items { value(item) }
            endArray()
        case .object(let members):
            beginObject()
            for m in members { key(m.key); value(m.value) }
            endObject()
        }
    }

    // MARK: - Internals

    @inline(__always) mutating func appendLiteral(_ s: StaticString) {
        let p = s.utf8Start
        for k in 0..<s.utf8CodeUnitCount { bytes.append(p[k]) }
    }

    mutating func appendInt(_ v: Int64) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        if m == 0 { bytes.append(UInt8(ascii: "0")); return }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes of scratch, enough for 20 digits
        let n: Int = withUnsafeMutableBytes(of: &tmp) { raw in
            var i = raw.count
            while m > 0 {
                i -= 1
                raw[i] = UInt8(truncatingIfNeeded: m % 10) &+ 0x30
                m /= 10
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[i...]))
            return raw.count - i
        }
        _ = n
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func appendQuoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { appendEscaped($0) }   // native strings: their own bytes, no copy
        bytes.append(UInt8(ascii: "\""))
    }

    /// Runs of bytes that need no escape go in with one append each (most strings are one run).
    mutating func appendEscaped(_ u: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for i in 0..<u.count {
            let b = u[i]
            guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
            if start < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[start..<i])) }
            appendEscape(b)
            start = i + 1
        }
        if start < u.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[start...])) }
    }

    mutating func appendEscape(_ b: UInt8) {
        switch b {
        case 0x22: bytes.append(0x5C); bytes.append(0x22)
        case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
        case 0x08: bytes.append(0x5C); bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(0x5C); bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
        default:
            bytes.append(0x5C); bytes.append(UInt8(ascii: "u"))
            bytes.append(0x30); bytes.append(0x30)
            bytes.append(JSONWriter.hexDigits[Int(b >> 4)])
            bytes.append(JSONWriter.hexDigits[Int(b & 0xF)])
        }
    }
}
