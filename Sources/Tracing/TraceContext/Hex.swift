/// Lowercase hexadecimal, the only form Trace Context allows on the wire.
///
/// Named `LowerHex` rather than `Hex` so it cannot collide with other encoders in the module.
enum LowerHex {
    /// The value of one lowercase hex digit, or nil. Uppercase is rejected on purpose:
    /// the spec's HEXDIGLC makes `4BF9...` an invalid id, not an alternative spelling.
    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- (UInt8(ascii: "a") &- 10)
        default: return nil
        }
    }

    @inline(__always)
    static func digit(_ n: UInt8) -> UInt8 {
        n < 10 ? UInt8(ascii: "0") &+ n : (UInt8(ascii: "a") &- 10) &+ n
    }

    /// Reads `count` (≤ 16) hex digits at `offset` as one big-endian number.
    @inline(__always)
    static func read(_ p: UnsafeRawBufferPointer, at offset: Int, count: Int) -> UInt64? {
        var v: UInt64 = 0
        for i in offset..<(offset + count) {
            guard let n = nibble(p[i]) else { return nil }
            v = (v << 4) | UInt64(n)
        }
        return v
    }

    /// Writes `v` as exactly `count` digits (16 for a UInt64, 2 for a byte) at `p`.
    @inline(__always)
    static func write(_ v: UInt64, count: Int, to p: UnsafeMutableRawPointer) {
        var v = v
        var i = count
        while i > 0 {
            i -= 1
            p.storeBytes(of: digit(UInt8(truncatingIfNeeded: v & 0xF)), toByteOffset: i, as: UInt8.self)
            v >>= 4
        }
    }
}
