// The scans of JSON string bytes, eight at a time. The writer looks for the bytes it must
// escape, the reader for the end of a plain ASCII run; callgrind showed both walking byte by
// byte (JSONWriter.appendQuoted was 6.5 % of order-service's instructions). A word is tested
// with the usual SWAR expressions: `(w - n·0x01…) & ~w & 0x80…` is non-zero exactly when some
// byte of `w` is below n (n ≤ 0x80), and a byte equal to c is a zero byte of `w ^ c·0x01…`.
// Only whether a word has such a byte is used, never where: the byte loop finds the place.

enum JSONStringScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether some byte of `w` is a control character (< 0x20), `"` or `\`.
    @inline(__always)
    static func needsEscape(_ w: UInt64) -> Bool {
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        let below = (w &- ones &* 0x20) & ~w
        let zeros = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
        return (below | zeros) & highs != 0
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
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if needsEscape(w) || (asciiOnly && w & highs != 0) { break }
            i &+= 8
        }
        while i < n {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if needsEscape(b) || (asciiOnly && b >= 0x80) { break }
            i &+= 1
        }
        return i
    }
}
