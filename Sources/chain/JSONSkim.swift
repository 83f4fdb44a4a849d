/// Just enough JSON reading for the trace-context test endpoint: walk an array of objects and
/// hand back each member's raw value span. Rejects malformed input instead of guessing.
struct JSONSkim {
    let b: UnsafeRawBufferPointer
    var i = 0

    init(_ bytes: UnsafeRawBufferPointer) { b = bytes }

    mutating func ws() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }

    mutating func expect(_ c: UInt8) -> Bool {
        ws()
        guard i < b.count, b[i] == c else { return false }
        i += 1
        return true
    }

    /// The bytes of the next value, whatever it is.
    mutating func value() -> Range<Int>? {
        ws()
        let start = i
        guard i < b.count else { return nil }
        switch b[i] {
        case UInt8(ascii: "\""): guard string() != nil else { return nil }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = b[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            i += 1
            if expect(close) { return start..<i }
            repeat {
                if isObject { guard string() != nil, expect(UInt8(ascii: ":")) else { return nil } }
                guard value() != nil else { return nil }
            } while expect(UInt8(ascii: ","))
            guard expect(close) else { return nil }
        default:
            while i < b.count, !(b[i] == UInt8(ascii: ",") || b[i] == UInt8(ascii: "}") || b[i] == UInt8(ascii: "]") || b[i] <= 0x20) { i += 1 }
            guard i > start else { return nil }
        }
        return start..<i
    }

    /// A string's contents (escapes kept as is: the endpoint only needs plain URLs).
    mutating func string() -> Range<Int>? {
        ws()
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = i
        while i < b.count, b[i] != UInt8(ascii: "\"") {
            if b[i] == UInt8(ascii: "\\") { i += 1 }
            i += 1
        }
        guard i < b.count else { return nil }
        i += 1
        return start..<(i - 1)
    }

    /// Calls `member(key, valueRange)` for each member of each object of a top-level array.
    static func eachObjectMember(_ bytes: UnsafeRawBufferPointer, _ member: (Int, String, Range<Int>) -> Void) -> Bool {
        var s = JSONSkim(bytes)
        guard s.expect(UInt8(ascii: "[")) else { return false }
        if s.expect(UInt8(ascii: "]")) { return true }
        var index = 0
        repeat {
            guard s.expect(UInt8(ascii: "{")) else { return false }
            if !s.expect(UInt8(ascii: "}")) {
                repeat {
                    guard let k = s.string(), s.expect(UInt8(ascii: ":")), let v = s.value() else { return false }
                    member(index, String(decoding: UnsafeRawBufferPointer(rebasing: bytes[k]), as: UTF8.self), v)
                } while s.expect(UInt8(ascii: ","))
                guard s.expect(UInt8(ascii: "}")) else { return false }
            }
            index += 1
        } while s.expect(UInt8(ascii: ","))
        guard s.expect(UInt8(ascii: "]")) else { return false }
        s.ws()
        return s.i == bytes.count
    }
}
