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

    /// Reads `count` (≤ 16) hex digits at `offset` as one big-endian number; nil past the
    /// buffer's end. The ids' 16 digits go eight at a time (`read8`), other counts one by one.
    @inline(__always)
    static func read(_ p: UnsafeRawBufferPointer, at offset: Int, count: Int) -> UInt64? {
        guard offset >= 0, count <= p.count - offset else { return nil }
        if count == 16, let base = p.baseAddress {
            guard let hi = read8(base + offset), let lo = read8(base + offset + 8) else { return nil }
            return hi << 32 | lo
        }
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
        if count == 16 {
            write8(v >> 32, to: p)
            write8(v & 0xFFFF_FFFF, to: p + 8)
            return
        }
        var v = v
        var i = count
        while i > 0 {
            i -= 1
            p.storeBytes(of: digit(UInt8(truncatingIfNeeded: v & 0xF)), toByteOffset: i, as: UInt8.self)
            v >>= 4
        }
    }

    // Eight digits as one 64-bit word, one digit per byte, without a branch per digit: a
    // traceparent has 48 id digits, and which of 0-9 or a-f each is cannot be predicted, so the
    // digit-by-digit reader mispredicted about half of them (perf: TraceParent.parse was 0.4 %
    // of the machine under the chain benchmark). SWAR ("SIMD within a register") arithmetic:
    // every per-byte sum below stays under 0x100, so no carry crosses into the next byte.
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The 32-bit value of the eight lowercase hex digits at `p` (any alignment; the first is
    /// the most significant), or nil when any byte is not one.
    @inline(__always)
    static func read8(_ p: UnsafeRawPointer) -> UInt64? {
        let x = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))   // byte i: digit i
        // With every byte below 0x80, x + k sets a byte's top bit exactly when byte >= 0x80 - k.
        let atLeast0 = x &+ ones &* 0x50, past9 = x &+ ones &* 0x46   // >= "0", >= ":"
        let atLeastA = x &+ ones &* 0x1F, pastF = x &+ ones &* 0x19   // >= "a", >= "g"
        let letter = atLeastA & ~pastF & highBits
        let valid = (atLeast0 & ~past9 & highBits) | letter
        guard x & highBits == 0, valid == highBits else { return nil }
        let nibbles = (x & (ones &* 0x0F)) &+ (letter >> 7) &* 9          // "a" = 0x61: 1 + 9
        // Pack: bytes into pairs, pairs into quads, quads into the result, first digit highest.
        let pairs = (nibbles & 0x000F_000F_000F_000F) << 4 | (nibbles >> 8) & 0x000F_000F_000F_000F
        let quads = (pairs & 0x0000_00FF_0000_00FF) << 8 | (pairs >> 16) & 0x0000_00FF_0000_00FF
        return (quads & 0xFFFF) << 16 | (quads >> 32) & 0xFFFF
    }

    /// Writes the low 32 bits of `v` as eight lowercase hex digits at `p`.
    @inline(__always)
    static func write8(_ v: UInt64, to p: UnsafeMutableRawPointer) {
        // Spread: the high half to bytes 0-3, then each half of a pair, then each nibble.
        let quads = v >> 16 & 0xFFFF | (v & 0xFFFF) << 32
        let pairs = quads >> 8 & 0x0000_00FF_0000_00FF | (quads & 0x0000_00FF_0000_00FF) << 16
        let nibbles = pairs >> 4 & 0x000F_000F_000F_000F | (pairs & 0x000F_000F_000F_000F) << 8
        let letters = (nibbles &+ ones &* 0x76) >> 7 & ones                 // nibble >= 10
        let digits = nibbles &+ ones &* 0x30 &+ letters &* 0x27              // "0" + n, or "a" + n - 10
        p.storeBytes(of: digits.littleEndian, as: UInt64.self)
    }
}
