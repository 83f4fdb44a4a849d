// Hand-written protobuf wire format (https://protobuf.dev/programming-guides/encoding/):
// varint, fixed32/fixed64 little-endian, length-delimited fields. No swift-protobuf, no Foundation.
//
// Lengths are precomputed (ProtoSize), not back-patched: the encoder first sums the exact size of
// every nested message, grows the output once by the total, then writes through a raw pointer.
// Every write checks its bounds (one compare per field, not per byte), so a size mismatch traps
// instead of writing out of bounds; encodeTraces also checks that the cursor ends exactly at the end.
// A varint's check is against its largest size, so the region has a few bytes of slack past the
// computed size (ProtoWriter.slack).

import Reactor
import Tracing

/// Protobuf wire types.
enum ProtoWireType: UInt8 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}

/// Exact encoded sizes of protobuf pieces.
enum ProtoSize {
    /// Bytes of the base-128 varint of `v` (1...10).
    @inline(__always)
    static func varint(_ v: UInt64) -> Int { Varint.size(v) }

    @inline(__always)
    static func varint(_ v: Int) -> Int { varint(UInt64(UInt(bitPattern: v))) }

    /// Tag bytes for a field number (all OTLP fields here are < 16 except Span.flags = 16).
    @inline(__always)
    static func tag(_ field: UInt32) -> Int { varint(UInt64(field) << 3) }

    /// tag + length prefix + body, for a length-delimited field whose body is `len` bytes.
    @inline(__always)
    static func delimited(_ field: UInt32, _ len: Int) -> Int { tag(field) &+ varint(len) &+ len }

    /// A string field, omitted (0) when empty, as proto3 does for default values.
    @inline(__always)
    static func string(_ field: UInt32, _ s: String) -> Int {
        let n = s.utf8.count
        return n == 0 ? 0 : delimited(field, n)
    }
}

/// Writes protobuf fields into a preallocated region. Not a general-purpose buffer: the caller
/// computes the exact size first (see ProtoSize) and hands over that many bytes plus `slack`.
struct ProtoWriter {
    /// Writable bytes the caller provides past the computed length. A varint's bounds check then
    /// compares with the largest varint (10 bytes), a constant, instead of working out the
    /// value's exact size first (callgrind: a third of an attribute's instructions). Whether the
    /// computed length was right is checked by the caller at the end (`position == length`).
    static let slack = 10

    let base: UnsafeMutablePointer<UInt8>
    /// length + slack: no write reaches past it.
    private let limit: Int
    private(set) var position: Int = 0

    /// `base` has `length + ProtoWriter.slack` writable bytes.
    init(base: UnsafeMutablePointer<UInt8>, length: Int) {
        self.base = base
        self.limit = length &+ ProtoWriter.slack
    }

    @inline(__always)
    private func reserve(_ n: Int) {
        precondition(n <= limit &- position, "ProtoWriter: encoded size exceeds the precomputed size")
    }

    // MARK: raw pieces

    @inline(__always)
    private mutating func rawVarint(_ value: UInt64) {
        position &+= Varint.put(base + position, value)
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        reserve(10)
        if value < 0x80 {
            base[position] = UInt8(truncatingIfNeeded: value)
            position &+= 1
        } else {
            rawVarint(value)
        }
    }

    @inline(__always)
    mutating func tag(_ field: UInt32, _ type: ProtoWireType) {
        varint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    /// Little-endian 8 bytes.
    @inline(__always)
    mutating func fixed64(_ value: UInt64) {
        reserve(8)
        UnsafeMutableRawPointer(base + position).storeBytes(of: value.littleEndian, as: UInt64.self)
        position &+= 8
    }

    @inline(__always)
    mutating func bytes(_ src: UnsafeRawBufferPointer) {
        reserve(src.count)
        if let s = src.baseAddress { ShortBytes.copy(base + position, s, src.count) }
        position &+= src.count
    }

    // MARK: fields

    /// tag + varint (uint32/uint64/int64/bool/enum). Omitted when zero unless `always`.
    @inline(__always)
    mutating func varintField(_ field: UInt32, _ value: UInt64, always: Bool = false) {
        guard value != 0 || always else { return }
        tag(field, .varint)
        varint(value)
    }

    /// A string field; omitted when empty unless `always` (oneof members are always written).
    @inline(__always)
    mutating func stringField(_ field: UInt32, _ s: String, always: Bool = false) {
        let n = s.utf8.count
        guard n != 0 || always else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(n))
        if s.utf8.withContiguousStorageIfAvailable({ bytes(UnsafeRawBufferPointer($0)) }) == nil {
            var copy = s
            copy.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
        }
    }

    /// The header (tag + length) of an embedded message whose body, written next, is `length` bytes.
    @inline(__always)
    mutating func messageHeader(_ field: UInt32, length: Int) {
        tag(field, .lengthDelimited)
        varint(UInt64(length))
    }
}

/// Reads protobuf fields from a byte buffer. Returns nil on malformed input; never traps.
struct ProtoReader {
    let buffer: UnsafeRawBufferPointer
    private(set) var position: Int = 0

    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    var atEnd: Bool { position >= buffer.count }

    mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < buffer.count {
            let b = buffer[position]
            position += 1
            if shift == 63 && b > 1 { return nil }  // 10th byte may only carry the top bit
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    /// (field number, wire type) of the next field, or nil at a malformed tag.
    mutating func tag() -> (field: UInt32, type: ProtoWireType)? {
        guard let t = varint(), t >> 3 != 0, t >> 3 <= UInt64(UInt32.max >> 3),
              let type = ProtoWireType(rawValue: UInt8(t & 7))
        else { return nil }
        return (UInt32(t >> 3), type)
    }

    /// The body of a length-delimited field.
    mutating func delimited() -> UnsafeRawBufferPointer? {
        guard let n = varint(), n <= UInt64(buffer.count - position) else { return nil }
        let start = position
        position += Int(n)
        return UnsafeRawBufferPointer(rebasing: buffer[start ..< position])
    }

    /// A fixed64 field's value (little-endian).
    mutating func fixed64() -> UInt64? {
        guard buffer.count - position >= 8 else { return nil }
        let v = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self))
        position += 8
        return v
    }

    /// A fixed32 field's value (little-endian).
    mutating func fixed32() -> UInt32? {
        guard buffer.count - position >= 4 else { return nil }
        let v = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self))
        position += 4
        return v
    }

    /// Skips a field's value. Groups are not supported (nil): OTLP never uses them.
    mutating func skip(_ type: ProtoWireType) -> Bool {
        switch type {
        case .varint: return varint() != nil
        case .fixed64: return advance(8)
        case .fixed32: return advance(4)
        case .lengthDelimited: return delimited() != nil
        case .startGroup, .endGroup: return false
        }
    }

    private mutating func advance(_ n: Int) -> Bool {
        guard buffer.count - position >= n else { return false }
        position += n
        return true
    }
}
