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
            b.append(contentsOf: String(v).utf8)
        case .text(let s):
            b.append(UInt8(ascii: "\""))
            for c in s.utf8 {
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { b.append(UInt8(ascii: "\\")) }
                b.append(c)
            }
            b.append(UInt8(ascii: "\""))
        }
    }
}
