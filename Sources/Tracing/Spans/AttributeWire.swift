import Reactor

// A span record keeps its attributes and events as the OTLP protobuf bytes they leave in
// (opentelemetry/proto/trace/v1/trace.proto: Span.attributes is field 9, one KeyValue each;
// Span.events field 11, one Event each, whose attributes are its field 3). They are encoded
// once, on the loop, where the value is at hand; the exporter copies them as they are. Before,
// the record held an 80-byte value per attribute, which the exporter measured and then wrote
// field by field: a third of tracing's instructions (Perf/RESULTS.md, "tracing: attributes
// stored encoded").
//
// The bytes are canonical protobuf: minimal varints, an empty key omitted as proto3 omits
// defaults, the AnyValue's oneof always present. OTLPEncoderTests decodes them with the official
// opentelemetry-proto package.

/// Wire-format pieces the record's encoders share. Inlinable, with the value encoders below: a
/// `setAttribute` call site then compiles to the stores of its own key and value's kind, where a
/// shared encoder switched over every kind and measured the key at run time (callgrind: about
/// 170 instructions an attribute).
@usableFromInline
enum AttributeWire {
    /// Span.attributes (field 9), Event.attributes (field 3), Span.events (field 11): each a
    /// length-delimited field, so one tag byte.
    @inlinable static var spanAttributeTag: UInt8 { 9 << 3 | 2 }
    @inlinable static var eventAttributeTag: UInt8 { 3 << 3 | 2 }
    @inlinable static var eventTag: UInt8 { 11 << 3 | 2 }

    /// A length-delimited field's size: tag, length, body.
    @inlinable @inline(__always)
    static func fieldSize(_ body: Int) -> Int { 1 &+ Varint.size(UInt64(body)) &+ body }

    /// A KeyValue body's size, from its key and its AnyValue body's size.
    @inlinable @inline(__always)
    static func keyValueSize(_ key: StaticString, anyValue: Int) -> Int {
        let k = key.utf8CodeUnitCount
        return (k == 0 ? 0 : fieldSize(k)) &+ fieldSize(anyValue)
    }

    /// Writes a KeyValue field up to its AnyValue's body: the field's `tag` and length (`body`),
    /// the key (omitted when empty), the value's tag and length (`anyValue`); returns the size.
    @inlinable @inline(__always)
    static func putKeyValueHead(_ p: UnsafeMutablePointer<UInt8>, tag: UInt8, body: Int, _ key: StaticString,
                                anyValue: Int) -> Int {
        p[0] = tag
        var i = 1 &+ Varint.put(p + 1, UInt64(body))
        let k = key.utf8CodeUnitCount
        if k != 0 { i &+= putBytes(p + i, tag: 1 << 3 | 2, key.utf8Start, k) }
        p[i] = 2 << 3 | 2
        i &+= 1
        return i &+ Varint.put(p + i, UInt64(anyValue))
    }

    /// tag, length, and `n` bytes from `src`, at `p`; returns the size.
    @inlinable @inline(__always)
    static func putBytes(_ p: UnsafeMutablePointer<UInt8>, tag: UInt8, _ src: UnsafeRawPointer, _ n: Int) -> Int {
        p[0] = tag
        let i = 1 &+ Varint.put(p + 1, UInt64(n))
        ShortBytes.copy(UnsafeMutableRawPointer(p + i), src, n)
        return i &+ n
    }
}

extension SpanValue {
    /// A text value that was cut to fit its inline storage.
    @inlinable
    var isCutText: Bool {
        if case .text(let t) = self { return t.truncated }
        return false
    }

    /// The size of the AnyValue message's body.
    @inlinable @inline(__always)
    var wireSize: Int {
        switch self {
        case .literal(let s): return AttributeWire.fieldSize(s.utf8CodeUnitCount)
        case .text(let t): return AttributeWire.fieldSize(Int(t.count))
        case .bool: return 2
        case .int(let i): return 1 &+ Varint.size(UInt64(bitPattern: i))
        case .double: return 9
        }
    }

    /// Writes the AnyValue's body at `p` (room for `wireSize`); returns its size.
    @inlinable @inline(__always)
    func write(_ p: UnsafeMutablePointer<UInt8>) -> Int {
        switch self {
        case .literal(let s):
            return AttributeWire.putBytes(p, tag: 1 << 3 | 2, s.utf8Start, s.utf8CodeUnitCount)
        case .text(let t):
            return t.withBytes { AttributeWire.putBytes(p, tag: 1 << 3 | 2, $0.baseAddress!, $0.count) }
        case .bool(let b):
            p[0] = 2 << 3
            p[1] = b ? 1 : 0
            return 2
        case .int(let v):
            p[0] = 3 << 3
            return 1 &+ Varint.put(p + 1, UInt64(bitPattern: v))
        case .double(let d):
            p[0] = 4 << 3 | 1
            UnsafeMutableRawPointer(p + 1).storeBytes(of: d.bitPattern.littleEndian, as: UInt64.self)
            return 9
        }
    }
}

extension SpanAttribute {
    /// The KeyValue message's body size.
    @inlinable @inline(__always)
    var keyValueSize: Int { AttributeWire.keyValueSize(key, anyValue: value.wireSize) }

    /// Writes the KeyValue as field `tag` at `p`, whose body is `keyValueSize` bytes (room for
    /// `AttributeWire.fieldSize(keyValueSize)`); returns the bytes written.
    @inlinable @inline(__always)
    func write(tag: UInt8, keyValueSize: Int, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let i = AttributeWire.putKeyValueHead(p, tag: tag, body: keyValueSize, key, anyValue: value.wireSize)
        return i &+ value.write(p + i)
    }
}
