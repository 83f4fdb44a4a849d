import Reactor

/// PostgreSQL's text format for arrays (the input `$1::bigint[]` and the like parse), for the
/// parameters of multi-row statements. Every non-NULL element is double-quoted with `"` and `\`
/// escaped by a backslash, so commas, braces, quotes, backslashes, blanks, the word NULL and any
/// Unicode arrive as they were; an int goes bare; NULL is the bare word. (A NUL cannot be sent:
/// `PGPool.query` refuses it before.)
public enum PGArrayText {
    /// `{e1,e2,...}` for a one-dimensional array.
    public static func literal(_ elements: [PGParam]) -> String {
        var b: [UInt8] = [UInt8(ascii: "{")]
        for (i, e) in elements.enumerated() {
            if i > 0 { b.append(UInt8(ascii: ",")) }
            appendElement(e, to: &b)
        }
        b.append(UInt8(ascii: "}"))
        return String(decoding: b, as: UTF8.self)
    }

    static func appendElement(_ p: PGParam, to b: inout [UInt8]) {
        switch p {
        case .null:
            b.append(contentsOf: "NULL".utf8)
        case .int(let v):
            appendDecimal(v, to: &b)
        case .text(let s):
            b.append(UInt8(ascii: "\""))
            if s.utf8.withContiguousStorageIfAvailable({ appendQuotedBody($0, to: &b) }) == nil {
                appendQuotedBody(Array(s.utf8), to: &b)
            }
            b.append(UInt8(ascii: "\""))
        }
    }

    /// The element's bytes with `"` and `\` escaped; the runs between them in one append each.
    private static func appendQuotedBody<C: RandomAccessCollection<UInt8>>(_ u: C, to b: inout [UInt8]) where C.Index == Int {
        var start = u.startIndex
        for i in u.indices where u[i] == UInt8(ascii: "\"") || u[i] == UInt8(ascii: "\\") {
            b.append(contentsOf: u[start..<i])
            b.append(UInt8(ascii: "\\"))
            start = i
        }
        b.append(contentsOf: u[start...])
    }

    /// `v` in decimal, written straight into `b` (no String made for it).
    static func appendDecimal(_ v: Int64, to b: inout [UInt8]) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes ≥ DecimalText.maxBytes
        withUnsafeMutableBytes(of: &scratch) { raw in
            let n = DecimalText.write(v, to: raw.baseAddress!)
            b.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
        }
    }
}
