import Reactor

// A span leaves its loop as the OTLP protobuf it is sent in: one ScopeSpans.spans field
// (opentelemetry/proto/trace/v1/trace.proto), written into the loop's ring when the span ends.
// The exporter then copies runs of them into a request as they are. Encoding here, where the
// record was just written, reads it from the cache; the exporter encoded it from a 3.4 KB
// ring slot, the first read of which missed (Perf/RESULTS.md, "a ring of encoded spans").
//
// Canonical protobuf, fields in number order, each omitted when empty or 0 as proto3 does
// (Span.flags is never 0: HAS_IS_REMOTE is always set). OTLPEncoderTests decodes it with the
// official opentelemetry-proto package.

/// The OTLP `Span.flags` value: W3C flags (low byte) | HAS_IS_REMOTE | IS_REMOTE if the parent is
/// remote. Mirrors opentelemetry-go's exporter (buildSpanFlags): the parent's remoteness is
/// always known here.
@inline(__always)
public func otlpSpanFlags(w3c: UInt8, parentIsRemote: Bool) -> UInt32 {
    UInt32(w3c) | 0x100 | (parentIsRemote ? 0x200 : 0)
}

extension SpanRecord {
    /// ScopeSpans.spans: the field an encoded span is.
    static var scopeSpansSpanTag: UInt8 { 2 << 3 | 2 }

    /// The size of the Span message's body for the record at `r`, from its counts: no text is
    /// reached.
    public static func wireBodySize(_ r: UnsafePointer<SpanRecord>) -> Int {
        var n = 28   // trace_id (1), span_id (2)
        let traceState = Int(r.pointee.traceStateCount)
        if traceState != 0 { n &+= AttributeWire.fieldSize(traceState) }
        if r.pointee.parentID != 0 { n &+= 10 }
        let name = nameBytes(r).1
        if name != 0 { n &+= AttributeWire.fieldSize(name) }
        n &+= varintFieldSize(UInt64(r.pointee.kind))
        if r.pointee.startUnixNano != 0 { n &+= 9 }
        if r.pointee.endUnixNano != 0 { n &+= 9 }
        n &+= Int(r.pointee.attributeByteCount)   // already encoded, tags and lengths included
        n &+= varintFieldSize(UInt64(r.pointee.droppedAttributes))
        n &+= Int(r.pointee.eventByteCount)
        n &+= varintFieldSize(UInt64(r.pointee.droppedEvents))
        let status = statusBodySize(r)
        if status != 0 { n &+= AttributeWire.fieldSize(status) }
        return n &+ 6   // flags (16): a two-byte tag and a fixed32
    }

    @inline(__always)
    static func varintFieldSize(_ v: UInt64) -> Int { v == 0 ? 0 : 1 &+ Varint.size(v) }

    /// Status: message (2) and code (3).
    @inline(__always)
    static func statusBodySize(_ r: UnsafePointer<SpanRecord>) -> Int {
        let message = Int(r.pointee.statusMessageCount)
        return (message == 0 ? 0 : AttributeWire.fieldSize(message)) &+ varintFieldSize(UInt64(r.pointee.status))
    }

    /// Writes the record at `r` as a ScopeSpans.spans field at `p`, whose Span body is `body`
    /// bytes (`wireBodySize`); `p` has room for `AttributeWire.fieldSize(body)`. Returns the
    /// bytes written.
    public static func writeWire(_ r: UnsafePointer<SpanRecord>, body: Int, to p: UnsafeMutablePointer<UInt8>) -> Int {
        p[0] = scopeSpansSpanTag
        let head = 1 &+ Varint.put(p + 1, UInt64(body))
        let n = writeBody(r, p + head)
        precondition(n == body, "SpanRecord.writeWire: encoded size differs from wireBodySize")
        return head &+ n
    }

    /// At least the bytes `writeWireBounded` writes for the record at `r`, from its counts:
    /// cheaper than `wireBodySize`, which a span would otherwise compute before it is written.
    /// The fixed fields take at most 87 bytes: the field's tag and length (3), the ids (28), the
    /// parent (10), the name's and tracestate's tags and lengths (3 each), kind (2), times (18),
    /// the two dropped counts (4 each), the status' tags, lengths and code (6), flags (6).
    @inline(__always)
    public static func wireSizeBound(_ r: UnsafePointer<SpanRecord>) -> Int {
        96 &+ nameBytes(r).1 &+ Int(r.pointee.traceStateCount) &+ Int(r.pointee.statusMessageCount)
            &+ Int(r.pointee.attributeByteCount) &+ Int(r.pointee.eventByteCount)
    }

    /// Writes the record at `r` as a ScopeSpans.spans field at `p`, which has room for
    /// `wireSizeBound(r)` bytes; returns the bytes written (fewer). The body is written first,
    /// three bytes in, and its length then put before it: a span's body is under 16 KiB, so its
    /// length takes two bytes, or one under 128 (the body then moves down a byte, to stay
    /// canonical: rare, as any named span with attributes is longer).
    public static func writeWireBounded(_ r: UnsafePointer<SpanRecord>, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let body = writeBody(r, p + 3)
        precondition(body < 1 << 14 && 3 &+ body <= wireSizeBound(r), "SpanRecord.writeWireBounded: past the bound")
        if body < 0x80 {
            UnsafeMutableRawPointer(p + 2).copyMemory(from: p + 3, byteCount: body)   // overlapping: memmove
            p[0] = scopeSpansSpanTag
            p[1] = UInt8(body)
            return 2 &+ body
        }
        p[0] = scopeSpansSpanTag
        p[1] = UInt8(truncatingIfNeeded: body) | 0x80
        p[2] = UInt8(truncatingIfNeeded: body >> 7)
        return 3 &+ body
    }

    /// The Span message's body for the record at `r`, at `p`; returns its length.
    @inline(__always)
    private static func writeBody(_ r: UnsafePointer<SpanRecord>, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var i = writeIDs(r, p)
        if r.pointee.traceStateCount != 0 {
            i &+= withTraceState(r) { AttributeWire.putBytes(p + i, tag: 3 << 3 | 2, $0.baseAddress!, $0.count) }
        }
        i &+= writeParentNameKindTimes(r, p + i)
        i &+= copy(attributeBytes(r), to: p + i)
        i &+= putVarintField(p + i, tag: 10 << 3, UInt64(r.pointee.droppedAttributes))
        i &+= copy(eventBytes(r), to: p + i)
        i &+= putVarintField(p + i, tag: 12 << 3, UInt64(r.pointee.droppedEvents))
        let status = statusBodySize(r)
        if status != 0 {
            p[i] = 15 << 3 | 2
            i &+= 1 &+ Varint.put(p + i + 1, UInt64(status))
            if r.pointee.statusMessageCount != 0 {
                i &+= withStatusMessage(r) { AttributeWire.putBytes(p + i, tag: 2 << 3 | 2, $0.baseAddress!, $0.count) }
            }
            i &+= putVarintField(p + i, tag: 3 << 3, UInt64(r.pointee.status))
        }
        p[i] = 0x85                 // field 16, fixed32: the tag's varint (133) takes two bytes
        p[i &+ 1] = 0x01
        let flags = otlpSpanFlags(w3c: r.pointee.flags, parentIsRemote: r.pointee.parentIsRemote)
        UnsafeMutableRawPointer(p + i + 2).storeBytes(of: flags.littleEndian, as: UInt32.self)
        return i &+ 6
    }

    /// trace_id (1) and span_id (2): tag, length, big-endian bytes. Returns 28.
    @inline(__always)
    private static func writeIDs(_ r: UnsafePointer<SpanRecord>, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        p[0] = 1 << 3 | 2
        p[1] = 16
        storeBigEndian(p + 2, r.pointee.traceHi)
        storeBigEndian(p + 10, r.pointee.traceLo)
        p[18] = 2 << 3 | 2
        p[19] = 8
        storeBigEndian(p + 20, r.pointee.spanID)
        return 28
    }

    /// parent_span_id (4), name (5), kind (6), start (7) and end (8) times, each omitted when
    /// empty or 0. Returns the bytes written.
    @inline(__always)
    private static func writeParentNameKindTimes(_ r: UnsafePointer<SpanRecord>, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var i = 0
        let parent = r.pointee.parentID
        if parent != 0 {
            p[0] = 4 << 3 | 2
            p[1] = 8
            storeBigEndian(p + 2, parent)
            i = 10
        }
        let (name, n) = nameBytes(r)
        if n != 0 { i &+= AttributeWire.putBytes(p + i, tag: 5 << 3 | 2, name, n) }
        i &+= putVarintField(p + i, tag: 6 << 3, UInt64(r.pointee.kind))
        i &+= putFixed64Field(p + i, tag: 7 << 3 | 1, r.pointee.startUnixNano)
        return i &+ putFixed64Field(p + i, tag: 8 << 3 | 1, r.pointee.endUnixNano)
    }

    @inline(__always)
    private static func storeBigEndian(_ p: UnsafeMutablePointer<UInt8>, _ v: UInt64) {
        UnsafeMutableRawPointer(p).storeBytes(of: v.bigEndian, as: UInt64.self)
    }

    /// A varint field with a one-byte tag, omitted when 0. Returns the bytes written.
    @inline(__always)
    private static func putVarintField(_ p: UnsafeMutablePointer<UInt8>, tag: UInt8, _ v: UInt64) -> Int {
        guard v != 0 else { return 0 }
        p[0] = tag
        return 1 &+ Varint.put(p + 1, v)
    }

    /// A fixed64 field with a one-byte tag, omitted when 0. Returns the bytes written.
    @inline(__always)
    private static func putFixed64Field(_ p: UnsafeMutablePointer<UInt8>, tag: UInt8, _ v: UInt64) -> Int {
        guard v != 0 else { return 0 }
        p[0] = tag
        UnsafeMutableRawPointer(p + 1).storeBytes(of: v.littleEndian, as: UInt64.self)
        return 9
    }

    @inline(__always)
    private static func copy(_ b: UnsafeRawBufferPointer, to p: UnsafeMutablePointer<UInt8>) -> Int {
        if let src = b.baseAddress, b.count != 0 { UnsafeMutableRawPointer(p).copyMemory(from: src, byteCount: b.count) }
        return b.count
    }

    /// The record at `r` encoded as `writeWire` does, in a new array (tests, and the exporter's
    /// value-taking form).
    public static func wireBytes(_ r: UnsafePointer<SpanRecord>) -> [UInt8] {
        let body = wireBodySize(r)
        return [UInt8](unsafeUninitializedCapacity: AttributeWire.fieldSize(body)) { buf, n in
            n = writeWire(r, body: body, to: buf.baseAddress!)
        }
    }
}
