// The scans of JSON string bytes, eight at a time. The writer looks for the bytes it must
// escape, the reader for the end of a plain ASCII run; callgrind showed both walking byte by
// byte (JSONWriter.appendQuoted was 6.5 % of order-service's instructions). A word is tested
// with the usual SWAR expressions: `(w - n·0x01…) & ~w & 0x80…` flags the bytes of `w` below
// n (n ≤ 0x80), and a byte equal to c is a zero byte of `w ^ c·0x01…`. Above a flagged byte a
// borrow may flag a byte that is not one, but never below it: so the lowest flag is exact, and
// its place is where the run ends (the words are loaded little-endian).

enum JSONStringScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `w` that ends a run: a control character (< 0x20), `"` or
    /// `\`, and with `asciiOnly` any byte ≥ 0x80. Exact up to the lowest flag (see above).
    @inline(__always)
    static func stops(_ w: UInt64, asciiOnly: Bool) -> UInt64 {
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        let below = (w &- ones &* 0x20) & ~w
        let zeros = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
        return (below | zeros | (asciiOnly ? w : 0)) & highs
    }

    @inline(__always)
    static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C }

    /// The number of leading bytes of `p[0..<n]` that go into a JSON string as they are; with
    /// `asciiOnly`, a byte ≥ 0x80 ends the run too (the reader's fast path).
    @inline(__always)
    static func plainRun(_ p: UnsafeRawPointer, _ n: Int, asciiOnly: Bool = false) -> Int {
        var i = 0
        // Whole words only: `i + 8 <= n` keeps every load inside the caller's buffer.
        while i &+ 8 <= n {
            let s = stops(p.loadUnaligned(fromByteOffset: i, as: UInt64.self), asciiOnly: asciiOnly)
            if s != 0 { return i &+ s.trailingZeroBitCount &>> 3 }
            i &+= 8
        }
        guard i < n else { return n }
        if n >= 8 {
            // The last 1-7 bytes: the buffer's final word, less the bytes already seen, which
            // are plain and so flag nothing and borrow nothing.
            let seen = 8 &- (n &- i)
            let s = stops(p.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self), asciiOnly: asciiOnly) &>> (seen &* 8)
            return s == 0 ? n : i &+ s.trailingZeroBitCount &>> 3
        }
        while i < n {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if needsEscape(b) || (asciiOnly && b >= 0x80) { break }
            i &+= 1
        }
        return i
    }
}
