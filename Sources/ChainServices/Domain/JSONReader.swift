// A small, strict JSON reader (RFC 8259) over raw bytes. Pure Swift, no Foundation.
//
// - Integers that fit in Int64 become `.int`; every other valid number (fraction, exponent,
//   or an integer outside Int64) becomes `.double`, so callers can tell "not an integer".
// - Leading zeros, '+', NaN/Infinity, bare '.', control characters in strings, invalid
//   escapes, lone surrogates, invalid UTF-8 and trailing garbage are rejected.
// - Escapes are decoded as RFC 8259 says, so a string may hold any scalar, U+0000 and other
//   control characters included (`"\u0000"`): what a field may hold is the caller's rule
//   (`ProcessRequest` rejects control characters).
// - Nesting depth is limited to `JSONReader.maxDepth` containers (the root counts as 1).
// - Objects keep their members in order, duplicates included; `JSONValue[key]` returns the
//   LAST member with that key ("last one wins").

public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The value of the last member named `key` (duplicate keys: last one wins), or nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        // The UTF-8 lengths first: a String == of two different short keys is a library call
        // that handles canonical equivalence (callgrind: 1,600 instructions of audit-service's
        // request), and keys of different lengths are never equal byte for byte, which is
        // what JSON member names compare as here.
        let length = key.utf8.count
        var i = members.count
        while i > 0 {
            i -= 1
            if members[i].key.utf8.count == length && members[i].key == key { return members[i].value }
        }
        return nil
    }

    public var intValue: Int64? { if case .int(let v) = self { return v }; return nil }
    public var stringValue: String? { if case .string(let v) = self { return v }; return nil }
    public var isObject: Bool { if case .object = self { return true }; return false }
}

public struct JSONError: Error, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case empty, unexpectedEnd, unexpectedByte, invalidNumber, invalidEscape
        case loneSurrogate, controlCharacter, invalidUTF8, tooDeep, trailingGarbage
    }
    public var kind: Kind
    public var offset: Int
    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }
}

public struct JSONReader {
    public static let maxDepth = 64

    @usableFromInline let buf: UnsafeRawBufferPointer
    @usableFromInline var pos: Int = 0

    init(_ buf: UnsafeRawBufferPointer) { self.buf = buf }

    /// Parses one complete JSON document; whitespace around it is allowed, nothing else.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        var r = JSONReader(bytes)
        r.skipWhitespace()
        if r.pos >= bytes.count { throw JSONError(.empty, at: 0) }
        let v = try r.parseValue(depth: 0)
        r.skipWhitespace()
        if r.pos != bytes.count { throw JSONError(.trailingGarbage, at: r.pos) }
        return v
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        let result: Result<JSONValue, JSONError> = bytes.withUnsafeBytes { raw in
            do throws(JSONError) { return .success(try parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    // MARK: - Internals

    @inline(__always) mutating func skipWhitespace() {
        while pos < buf.count {
            let b = buf[pos]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { pos += 1 } else { return }
        }
    }

    @inline(__always) func peek() throws(JSONError) -> UInt8 {
        guard pos < buf.count else { throw JSONError(.unexpectedEnd, at: pos) }
        return buf[pos]
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        let b = try peek()
        switch b {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw JSONError(.unexpectedByte, at: pos)
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONError) {
        let p = word.utf8Start
        for k in 0..<word.utf8CodeUnitCount {
            guard pos < buf.count else { throw JSONError(.unexpectedEnd, at: pos) }
            guard buf[pos] == p[k] else { throw JSONError(.unexpectedByte, at: pos) }
            pos += 1
        }
    }

    /// An object as a tree; its grammar is `members` (JSONPull.swift), which the services'
    /// pull decoders walk too. `depth`: that of the value, as in parseValue.
    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        var members: [JSONMember] = []
        _ = try self.members(depth: depth) { r, name, inner throws(JSONError) in
            // The services' objects have up to 12 members: one allocation, not five.
            if members.isEmpty { members.reserveCapacity(16) }
            members.append(JSONMember(name.string, try r.parseValue(depth: inner)))
        }
        return .object(members)
    }

    /// An array as a tree; its grammar is `elements` (JSONPull.swift).
    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        var items: [JSONValue] = []
        _ = try elements(depth: depth) { r, inner throws(JSONError) in
            if items.isEmpty { items.reserveCapacity(8) }
            items.append(try r.parseValue(depth: inner))
        }
        return .array(items)
    }

    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = pos
        var negative = false
        if buf[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
        }
        guard pos < buf.count, isDigit(buf[pos]) else { throw JSONError(.invalidNumber, at: pos) }
        var magnitude: UInt64 = 0
        var overflow = false
        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < buf.count, isDigit(buf[pos]) { throw JSONError(.invalidNumber, at: pos) }
        } else {
            while pos < buf.count, isDigit(buf[pos]) {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(buf[pos] &- 0x30))
                if o1 || o2 { overflow = true }
                magnitude = a
                pos += 1
            }
        }
        var isInteger = true
        if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < buf.count, isDigit(buf[pos]) else { throw JSONError(.invalidNumber, at: pos) }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < buf.count, isDigit(buf[pos]) else { throw JSONError(.invalidNumber, at: pos) }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if isInteger && !overflow {
            if !negative, magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
            if negative, magnitude <= UInt64(Int64.max) + 1 {
                return .int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        guard let d = Double(text) else { throw JSONError(.invalidNumber, at: start) }
        return .double(d)
    }

    @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Parses a string starting at the opening quote; returns its decoded value.
    mutating func parseString() throws(JSONError) -> String {
        pos += 1 // opening quote
        let start = pos
        // Fast path: printable ASCII without escapes, a word at a time (the opening quote was
        // at `pos - 1`, so `buf` has a base address).
        pos += JSONStringScan.plainRun(buf.baseAddress.unsafelyUnwrapped + pos, buf.count - pos, asciiOnly: true)
        if pos < buf.count && buf[pos] == UInt8(ascii: "\"") {
            let s = String(decoding: UnsafeRawBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
            pos += 1
            return s
        }
        var out: [UInt8] = []
        out.reserveCapacity(pos - start + 16)
        for k in start..<pos { out.append(buf[k]) }
        while true {
            guard pos < buf.count else { throw JSONError(.unexpectedEnd, at: pos) }
            let b = buf[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: out, as: UTF8.self)
            } else if b == UInt8(ascii: "\\") {
                try parseEscape(into: &out)
            } else if b < 0x20 {
                throw JSONError(.controlCharacter, at: pos)
            } else if b < 0x80 {
                out.append(b)
                pos += 1
            } else {
                try copyUTF8Sequence(into: &out)
            }
        }
    }

    mutating func parseEscape(into out: inout [UInt8]) throws(JSONError) {
        let at = pos
        pos += 1 // backslash
        guard pos < buf.count else { throw JSONError(.unexpectedEnd, at: pos) }
        let e = buf[pos]
        pos += 1
        switch e {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            let u = try hex4()
            var scalar: UInt32
            if u >= 0xD800 && u <= 0xDBFF {
                guard pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") else {
                    throw JSONError(.loneSurrogate, at: at)
                }
                pos += 2
                let low = try hex4()
                guard low >= 0xDC00 && low <= 0xDFFF else { throw JSONError(.loneSurrogate, at: at) }
                scalar = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
            } else if u >= 0xDC00 && u <= 0xDFFF {
                throw JSONError(.loneSurrogate, at: at)
            } else {
                scalar = u
            }
            appendUTF8(scalar, to: &out)
        default:
            throw JSONError(.invalidEscape, at: at)
        }
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        guard pos + 4 <= buf.count else { throw JSONError(.invalidEscape, at: pos) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw JSONError(.invalidEscape, at: pos)
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    /// Validates one multi-byte UTF-8 sequence at `pos` (Unicode Table 3-7) and copies it.
    mutating func copyUTF8Sequence(into out: inout [UInt8]) throws(JSONError) {
        let b0 = buf[pos]
        var len = 0
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: len = 2
        case 0xE0: len = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: len = 3
        case 0xED: len = 3; hi = 0x9F
        case 0xF0: len = 4; lo = 0x90
        case 0xF1...0xF3: len = 4
        case 0xF4: len = 4; hi = 0x8F
        default: throw JSONError(.invalidUTF8, at: pos)
        }
        guard pos + len <= buf.count else { throw JSONError(.invalidUTF8, at: pos) }
        let b1 = buf[pos + 1]
        guard b1 >= lo && b1 <= hi else { throw JSONError(.invalidUTF8, at: pos) }
        var k = 2
        while k < len {
            let c = buf[pos + k]
            guard c >= 0x80 && c <= 0xBF else { throw JSONError(.invalidUTF8, at: pos) }
            k += 1
        }
        for j in 0..<len { out.append(buf[pos + j]) }
        pos += len
    }
}

@inline(__always) func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
    if s < 0x80 {
        out.append(UInt8(s))
    } else if s < 0x800 {
        out.append(UInt8(0xC0 | (s >> 6)))
        out.append(UInt8(0x80 | (s & 0x3F)))
    } else if s < 0x10000 {
        out.append(UInt8(0xE0 | (s >> 12)))
        out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (s & 0x3F)))
    } else {
        out.append(UInt8(0xF0 | (s >> 18)))
        out.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (s & 0x3F)))
    }
}
