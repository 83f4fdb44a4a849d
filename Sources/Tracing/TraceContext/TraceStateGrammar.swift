/// The `tracestate` key and value grammar of W3C Trace Context.
enum TraceStateGrammar {
    static let comma = UInt8(ascii: ",")
    static let equals = UInt8(ascii: "=")
    static let at = UInt8(ascii: "@")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")

    @inline(__always)
    static func isOWS(_ c: UInt8) -> Bool { c == space || c == tab }

    @inline(__always)
    static func isLCAlpha(_ c: UInt8) -> Bool { c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") }

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
    @inline(__always)
    static func isKeyChar(_ c: UInt8) -> Bool {
        isLCAlpha(c) || isDigit(c)
            || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "*") || c == UInt8(ascii: "/")
            || c == at
    }

    /// `key = ( lcalpha / DIGIT ) 0*255 ( keychar )` (Trace Context Level 2, "Key"). Level 2
    /// dropped Level 1's `tenant@system` form and its 241/14 limits: `@` is an ordinary key
    /// character, so `foo@`, `a@b@c` and `t@` + 15 chars are keys, and every Level 1 key still is.
    static func isValidKey(_ p: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        guard !r.isEmpty, r.count <= 256 else { return false }
        let first = p[r.lowerBound]
        guard isLCAlpha(first) || isDigit(first) else { return false }
        return r.dropFirst().allSatisfy { isKeyChar(p[$0]) }
    }

    /// `0*255(chr) nblk-chr`: 1 to 256 printable ASCII bytes but `,` and `=`, not ending in a
    /// space (trailing spaces are optional whitespace, leading ones belong to the value).
    static func isValidValue(_ p: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        guard !r.isEmpty, r.count <= 256, p[r.upperBound - 1] != space else { return false }
        return r.allSatisfy { i in
            let c = p[i]
            return c >= 0x20 && c <= 0x7E && c != comma && c != equals
        }
    }

    /// `r` without optional whitespace at either end.
    static func trimOWS(_ p: UnsafeRawBufferPointer, _ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound
        var hi = r.upperBound
        while lo < hi, isOWS(p[lo]) { lo += 1 }
        while hi > lo, isOWS(p[hi - 1]) { hi -= 1 }
        return lo..<hi
    }
}
