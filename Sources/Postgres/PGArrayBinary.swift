/// The element type of a multi-row statement's array parameter (`$n::bigint[]`, `text[]`,
/// `jsonb[]`). Declared with the statement, the arrays go in PostgreSQL's binary format: nothing
/// to quote and escape here, and no `array_in` on the server, which parsed every element's text:
/// 5.8 % fewer of the server's instructions for the chain's two INSERTs (Perf/pg-array-format.sh).
public enum PGArrayElement: Sendable {
    case int8, text, jsonb

    /// The element type's OID (pg_type), which the array's header must name exactly.
    var oid: UInt32 {
        switch self {
        case .int8: return 20
        case .text: return 25
        case .jsonb: return 3802
        }
    }
}

/// PostgreSQL's binary format for a one-dimensional array (`array_recv`): big-endian int32s for
/// the number of dimensions (1), whether any element is NULL, the element type's OID, the
/// length of the one dimension and its lower bound (1); then each element as its length (-1:
/// NULL) and its bytes: int8 as 8 bytes big-endian, text as its UTF-8, jsonb as the format's
/// version byte (1) and the JSON text.
enum PGArrayBinary {
    /// Appends the array of `count` elements, `element(i)` each, to `b`. False, with `b` as it
    /// was, when some value does not fit the element type (a text for int8): the caller then
    /// sends the text format, whose parsing on the server reports it.
    static func append(count: Int, of type: PGArrayElement, to b: inout [UInt8],
                       _ element: (Int) -> PGParam) -> Bool {
        let start = b.count
        var hasNull: Int32 = 0
        appendInt32(1, to: &b)
        let flagsAt = b.count
        appendInt32(0, to: &b)
        appendInt32(Int32(bitPattern: type.oid), to: &b)
        appendInt32(Int32(count), to: &b)
        appendInt32(1, to: &b)
        for i in 0..<count {
            switch (element(i), type) {
            case (.null, _):
                hasNull = 1
                appendInt32(-1, to: &b)
            case (.int(let v), .int8):
                appendInt32(8, to: &b)
                appendBigEndian(UInt64(bitPattern: v), to: &b)
            case (.int(let v), .text), (.int(let v), .jsonb):
                appendTextElement(type, to: &b) { PGArrayText.appendDecimal(v, to: &$0) }
            case (.text(let s), .text), (.text(let s), .jsonb):
                appendTextElement(type, to: &b) { $0.append(contentsOf: s.utf8) }
            case (.text, .int8):
                b.removeSubrange(start...)
                return false
            }
        }
        if hasNull != 0 { b.withUnsafeMutableBytes { $0.storeBytes(of: hasNull.bigEndian, toByteOffset: flagsAt, as: Int32.self) } }
        return true
    }

    /// A text or jsonb element: its length, patched in once `write` has appended its bytes.
    private static func appendTextElement(_ type: PGArrayElement, to b: inout [UInt8], _ write: (inout [UInt8]) -> Void) {
        let lengthAt = b.count
        appendInt32(0, to: &b)
        if type == .jsonb { b.append(1) }   // jsonb's binary format: version 1, then the text
        write(&b)
        let length = Int32(b.count - lengthAt - 4)
        b.withUnsafeMutableBytes { $0.storeBytes(of: length.bigEndian, toByteOffset: lengthAt, as: Int32.self) }
    }

    private static func appendInt32(_ v: Int32, to b: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { b.append(contentsOf: $0) }
    }

    private static func appendBigEndian(_ v: UInt64, to b: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { b.append(contentsOf: $0) }
    }
}
