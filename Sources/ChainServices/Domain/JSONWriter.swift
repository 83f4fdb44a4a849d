// Appends compact JSON (no whitespace) to a byte buffer. Commas are inserted automatically:
// call key(_:) before each object member's value. Strings are escaped per RFC 8259:
// `"` `\` and \b \f \n \r \t by name, other control characters (< 0x20) as \u00XX
// (lowercase hex); everything else, including non-ASCII, is emitted as UTF-8.

import Reactor

public struct JSONWriter: ~Copyable {
    // The document is built in memory of its own, not in an [UInt8]: an append is a bounds
    // check and a store, where an array's is a uniqueness check and a call (callgrind: about
    // 150 instructions for each of the ~50 strings of an order-service request). The bytes
    // [0, count) are initialized; `capacity` bytes are allocated. Noncopyable, so the memory
    // has one owner and `deinit` frees it.
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    @usableFromInline var needsComma = false

    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The document written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    @inline(__always) mutating func separate() {
        if needsComma { put(UInt8(ascii: ",")) }
    }

    public mutating func beginObject() { separate(); put(UInt8(ascii: "{")); needsComma = false }
    public mutating func endObject() { put(UInt8(ascii: "}")); needsComma = true }
    public mutating func beginArray() { separate(); put(UInt8(ascii: "[")); needsComma = false }
    public mutating func endArray() { put(UInt8(ascii: "]")); needsComma = true }

    /// A member name known when the program is written (all of the services' are). It goes in
    /// as it is, without the scan for bytes to escape: no name of ours has one (debug builds,
    /// which the tests run, check).
    public mutating func key(_ k: StaticString) {
        let n = k.utf8CodeUnitCount
        assert(JSONStringScan.plainRun(k.utf8Start, n) == n, "a member name with a byte to escape")
        separate()
        reserve(n &+ 3)
        base[count] = UInt8(ascii: "\"")
        ShortBytes.copy(base + (count &+ 1), k.utf8Start, n)
        base[count &+ 1 &+ n] = UInt8(ascii: "\"")
        base[count &+ 2 &+ n] = UInt8(ascii: ":")
        count &+= n &+ 3
        needsComma = false
    }

    /// A member name made at run time.
    public mutating func key(named k: String) {
        separate()
        appendQuoted(k)
        put(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ s: String) { separate(); appendQuoted(s); needsComma = true }
    public mutating func int(_ v: Int64) { separate(); appendInt(v); needsComma = true }
    public mutating func int(_ v: Int) { int(Int64(v)) }
    public mutating func bool(_ v: Bool) { separate(); appendLiteral(v ? "true" : "false"); needsComma = true }
    public mutating func null() { separate(); appendLiteral("null"); needsComma = true }
    /// Appends pre-encoded JSON as one value (the caller guarantees it is valid JSON).
    public mutating func raw(_ json: [UInt8]) {
        separate()
        json.withUnsafeBytes { if let p = $0.baseAddress { put(p, $0.count) } }
        needsComma = true
    }

    public mutating func double(_ v: Double) {
        if v.isFinite {
            separate()
            var text = v.description
            text.withUTF8 { put(UnsafeRawPointer($0.baseAddress!), $0.count) }
            needsComma = true
        } else {
            null()
        }
    }

    // Convenience members.
    public mutating func field(_ k: StaticString, _ v: String) { key(k); string(v) }
    public mutating func field(_ k: StaticString, _ v: Int64) { key(k); int(v) }
    public mutating func field(_ k: StaticString, _ v: Int64?) { key(k); if let v { int(v) } else { null() } }
    public mutating func field(_ k: StaticString, _ v: Bool) { key(k); bool(v) }

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
            for m in members { key(named: m.key); value(m.value) }
            endObject()
        }
    }

    // MARK: - Internals

    @inline(__always) private mutating func reserve(_ n: Int) {
        if capacity &- count < n { grow(to: count &+ n) }
    }

    private mutating func grow(to needed: Int) {
        let larger = max(capacity &* 2, needed)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.initialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }

    @inline(__always) mutating func put(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count &+= 1
    }

    @inline(__always) mutating func put(_ p: UnsafeRawPointer, _ n: Int) {
        reserve(n)
        ShortBytes.copy(base + count, p, n)
        count &+= n
    }

    @inline(__always) mutating func appendLiteral(_ s: StaticString) {
        put(UnsafeRawPointer(s.utf8Start), s.utf8CodeUnitCount)
    }

    mutating func appendInt(_ v: Int64) {
        reserve(DecimalText.maxBytes)
        count &+= DecimalText.write(v, to: base + count)
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func appendQuoted(_ s: String) {
        // Native and small strings lend their bytes without the retain and release of
        // `var s = s; s.withUTF8`; others are made contiguous first.
        if s.utf8.withContiguousStorageIfAvailable({ appendQuoted($0) }) != nil { return }
        var s = s
        s.withUTF8 { appendQuoted($0) }
    }

    /// `"` + the escaped bytes + `"`. Runs of bytes that need no escape go in with one copy
    /// each (most strings are one run), found a word at a time (JSONStringScan).
    mutating func appendQuoted(_ u: UnsafeBufferPointer<UInt8>) {
        reserve(u.count &+ 2)
        put(UInt8(ascii: "\""))
        if let p = u.baseAddress {
            var i = 0
            while true {
                let run = JSONStringScan.plainRun(UnsafeRawPointer(p + i), u.count &- i)
                put(UnsafeRawPointer(p + i), run)
                i &+= run
                guard i < u.count else { break }
                appendEscape(p[i])
                i &+= 1
            }
        }
        put(UInt8(ascii: "\""))
    }

    mutating func appendEscape(_ b: UInt8) {
        switch b {
        case 0x22: put(0x5C); put(0x22)
        case 0x5C: put(0x5C); put(0x5C)
        case 0x08: put(0x5C); put(UInt8(ascii: "b"))
        case 0x0C: put(0x5C); put(UInt8(ascii: "f"))
        case 0x0A: put(0x5C); put(UInt8(ascii: "n"))
        case 0x0D: put(0x5C); put(UInt8(ascii: "r"))
        case 0x09: put(0x5C); put(UInt8(ascii: "t"))
        default:
            put(0x5C); put(UInt8(ascii: "u"))
            put(0x30); put(0x30)
            put(JSONWriter.hexDigits[Int(b >> 4)])
            put(JSONWriter.hexDigits[Int(b & 0xF)])
        }
    }
}
