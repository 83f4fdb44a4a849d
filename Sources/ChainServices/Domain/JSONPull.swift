// Decoding straight into the services' models, without the JSONValue tree. Building the tree,
// looking members up in it and freeing it was 13,000-20,000 instructions of each request in
// user-service and audit-service (callgrind, Perf/count-per-request.sh): an array per object,
// a String per name, a release per node. Here a member's name is compared where it lies in the
// body, and only the values a model keeps become Strings.
//
// The same grammar as JSONReader.parse, because it is the same code: the tree's objects and
// arrays are built with `members` and `elements` below. A document the tree rejects is rejected
// here with the same error, so an endpoint tells invalid JSON from a valid document with the
// wrong fields exactly as before. A value of an unknown member, or of the wrong type,
// is parsed as a tree and dropped (rare: the services write these bodies). Members named twice:
// the last one counts, as in `JSONValue[key]`.

import Reactor

extension JSONReader {
    /// Decodes one whole document with `decode`; whitespace around it is allowed, nothing else.
    static func decode<T>(_ bytes: UnsafeRawBufferPointer,
                          _ decode: (inout JSONReader) throws(JSONError) -> T) throws(JSONError) -> T {
        var r = JSONReader(bytes)
        r.skipWhitespace()
        if r.pos >= bytes.count { throw JSONError(.empty, at: 0) }
        let value = try decode(&r)
        r.skipWhitespace()
        if r.pos != bytes.count { throw JSONError(.trailingGarbage, at: r.pos) }
        return value
    }

    /// The next value's members, one call of `member` each, with the member's name and the
    /// reader at its value (which `member` must consume, with one of the reads below). False,
    /// with the value consumed, when the value is not an object.
    mutating func members(depth: Int,
                          _ member: (inout JSONReader, JSONName, Int) throws(JSONError) -> Void) throws(JSONError) -> Bool {
        skipWhitespace()
        guard try peek() == UInt8(ascii: "{") else { _ = try parseValue(depth: depth); return false }
        let inner = depth + 1
        if inner > JSONReader.maxDepth { throw JSONError(.tooDeep, at: pos) }
        pos += 1
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") { pos += 1; return true }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw JSONError(.unexpectedByte, at: pos) }
            let name = try parseName()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw JSONError(.unexpectedByte, at: pos) }
            pos += 1
            skipWhitespace()
            try member(&self, name, inner)
            skipWhitespace()
            let c = try peek()
            pos += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { return true }
            throw JSONError(.unexpectedByte, at: pos - 1)
        }
    }

    /// The next value's elements, one call of `element` each. False, with the value consumed,
    /// when the value is not an array.
    mutating func elements(depth: Int, _ element: (inout JSONReader, Int) throws(JSONError) -> Void) throws(JSONError) -> Bool {
        skipWhitespace()
        guard try peek() == UInt8(ascii: "[") else { _ = try parseValue(depth: depth); return false }
        let inner = depth + 1
        if inner > JSONReader.maxDepth { throw JSONError(.tooDeep, at: pos) }
        pos += 1
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") { pos += 1; return true }
        while true {
            skipWhitespace()
            try element(&self, inner)
            skipWhitespace()
            let c = try peek()
            pos += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "]") { return true }
            throw JSONError(.unexpectedByte, at: pos - 1)
        }
    }

    /// The next value if it is an integer that fits Int64 (as `JSONValue.intValue`), else nil.
    mutating func readInt(depth: Int) throws(JSONError) -> Int64? {
        skipWhitespace()
        let b = try peek()
        guard b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39) else { _ = try parseValue(depth: depth); return nil }
        return try parseNumber().intValue
    }

    /// The next value if it is a string, else nil.
    mutating func readString(depth: Int) throws(JSONError) -> String? {
        skipWhitespace()
        guard try peek() == UInt8(ascii: "\"") else { _ = try parseValue(depth: depth); return nil }
        return try parseString()
    }

    /// Consumes the next value, whatever it is.
    mutating func skip(depth: Int) throws(JSONError) {
        _ = try parseValue(depth: depth)
    }

    /// A member name at the opening quote: its bytes in the body when it has no escape (the
    /// usual case), else decoded.
    private mutating func parseName() throws(JSONError) -> JSONName {
        let start = pos + 1
        let run = JSONStringScan.plainRun(buf.baseAddress.unsafelyUnwrapped + start, buf.count - start, asciiOnly: true)
        if start + run < buf.count && buf[start + run] == UInt8(ascii: "\"") {
            pos = start + run + 1
            return .plain(UnsafeRawBufferPointer(rebasing: buf[start ..< start + run]))
        }
        return .decoded(try parseString())
    }
}

/// A member name as the pull decoders see it: its bytes in the body, or, for a name with an
/// escape, decoded. An enum, so that a plain name (nearly all) has no String to release.
enum JSONName {
    case plain(UnsafeRawBufferPointer)
    case decoded(String)

    /// The name as a String (for the tree).
    var string: String {
        switch self {
        case .plain(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .decoded(let s): return s
        }
    }

    /// Whether the name is `s`, code unit for code unit (as JSONValue[key] compares). Inlined:
    /// a decoder tries a member's name against each of its fields in turn.
    @inline(__always)
    func `is`(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        switch self {
        case .plain(let bytes):
            return bytes.count == n && (n == 0 || ShortBytes.equal(bytes.baseAddress!, s.utf8Start, n))
        case .decoded(let d):
            return d.utf8.elementsEqual(UnsafeBufferPointer(start: s.utf8Start, count: n))
        }
    }
}
