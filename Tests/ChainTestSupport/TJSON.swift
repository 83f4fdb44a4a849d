/// Just enough JSON to write the checker's expectation file. Deliberately not the encoder's writer:
/// it escapes every non-ASCII scalar as \uXXXX (surrogate pairs above U+FFFF).
public indirect enum TJSON {
    case object([(String, TJSON)])
    case array([TJSON])
    case string(String)
    case number(String)  // already formatted: an Int64/UInt64 description
    case bool(Bool)

    public static func int<T: BinaryInteger>(_ v: T) -> TJSON { .number("\(v)") }

    public var text: String {
        switch self {
        case .object(let members):
            return "{" + members.map { TJSON.quote($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
        case .array(let items):
            return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .string(let s): return TJSON.quote(s)
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        }
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        func u(_ v: UInt32) {
            let h = String(v, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        }
        for scalar in s.unicodeScalars {
            let v = scalar.value
            if v == 0x22 { out += "\\\"" } else if v == 0x5C { out += "\\\\" } else if v >= 0x20 && v < 0x7F {
                out.unicodeScalars.append(scalar)
            } else if v > 0xFFFF {
                let x = v - 0x10000
                u(0xD800 + (x >> 10))
                u(0xDC00 + (x & 0x3FF))
            } else {
                u(v)
            }
        }
        return out + "\""
    }
}
