import Reactor
import Tracing

/// OTLP protobuf straight from span records, without building `ExportSpan`s: no strings or
/// arrays are created per span on the exporter thread. Field numbers and the canonical-encoding
/// rules are in OTLPProtobuf.swift; OTLPEncoderTests decodes the output with the official
/// opentelemetry-proto package.
extension SpanRecord {
    static func encodeTraces(resource: ExportResource, scopeName: String, scopeVersion: String,
                             records: UnsafeBufferPointer<SpanRecord>, into out: inout [UInt8]) {
        encodeTraces(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, runs: [records], into: &out)
    }

    /// One request from several runs of records (a ring's slots read in place, say), in order.
    static func encodeTraces(resource: ExportResource, scopeName: String, scopeVersion: String,
                             runs: [UnsafeBufferPointer<SpanRecord>], into out: inout [UInt8]) {
        let resourceLen = OTLPProtobuf.attributesSize(1, resource.attributes)
        let scopeLen = ProtoSize.string(1, scopeName) &+ ProtoSize.string(2, scopeVersion)
        // Each record's size is computed once, here, and reused when it is written. Records are
        // read where they lie, field by field through their pointer: a record is trivial, so
        // any use of it as a value (`for r in run`, `run[i].protoSize`, even `p.pointee.protoSize`)
        // loads all 3.4 KB of it onto the stack first: twice per span, a third of the
        // exporter's time (perf: memmove under encodeTraces).
        var sizes: [Int] = []
        sizes.reserveCapacity(runs.reduce(0) { $0 + $1.count })
        for run in runs { for i in run.indices { sizes.append(protoSize(slot(run, i))) } }
        let spansLen = sizes.reduce(0) { $0 &+ ProtoSize.delimited(2, $1) }
        let scopeSpansLen = ProtoSize.delimited(1, scopeLen) &+ spansLen
        let resourceSpansLen = ProtoSize.delimited(1, resourceLen) &+ ProtoSize.delimited(2, scopeSpansLen)
        let total = ProtoSize.delimited(1, resourceSpansLen)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: total &+ ProtoWriter.slack))
        out.withUnsafeMutableBufferPointer { buf in
            var w = ProtoWriter(base: buf.baseAddress! + start, length: total)
            w.messageHeader(1, length: resourceSpansLen)
            w.messageHeader(1, length: resourceLen)
            OTLPProtobuf.writeAttributes(&w, 1, resource.attributes)
            w.messageHeader(2, length: scopeSpansLen)
            w.messageHeader(1, length: scopeLen)
            w.stringField(1, scopeName)
            w.stringField(2, scopeVersion)
            var k = 0
            for run in runs {
                for i in run.indices {
                    writeProto(slot(run, i), &w, size: sizes[k])
                    k += 1
                }
            }
            precondition(w.position == total, "SpanRecord protobuf: size differs from the precomputed size")
        }
        out.removeLast(ProtoWriter.slack)
    }

    /// Record `i` of `run` where it lies (`i` in `run.indices`, so the pointer is in bounds).
    @inline(__always)
    private static func slot(_ run: UnsafeBufferPointer<SpanRecord>, _ i: Int) -> UnsafePointer<SpanRecord> {
        run.baseAddress.unsafelyUnwrapped + i
    }

    var otlpFlags: UInt32 { otlpSpanFlags(w3c: flags, parentIsRemote: parentIsRemote) }

    /// The encoded size of the record at `r`, from its counts: no text is reached.
    static func protoSize(_ r: UnsafePointer<SpanRecord>) -> Int {
        var n = 18 &+ 10
        let traceState = Int(r.pointee.traceStateCount)
        n &+= traceState == 0 ? 0 : ProtoSize.delimited(3, traceState)
        if r.pointee.parentID != 0 { n &+= 10 }
        let nameCount = r.pointee.name.byteCount
        n &+= nameCount == 0 ? 0 : ProtoSize.delimited(5, nameCount)
        n &+= OTLPProtobuf.enumFieldSize(Int32(r.pointee.kind))
        if r.pointee.startUnixNano != 0 { n &+= 9 }
        if r.pointee.endUnixNano != 0 { n &+= 9 }
        n &+= Int(r.pointee.attributeByteCount)   // already encoded, tags and lengths included
        n &+= OTLPProtobuf.uint32FieldSize(UInt32(r.pointee.droppedAttributes))
        n &+= Int(r.pointee.eventByteCount)
        n &+= OTLPProtobuf.uint32FieldSize(UInt32(r.pointee.droppedEvents))
        let status = statusSize(r)
        if status != 0 { n &+= ProtoSize.delimited(15, status) }
        return n &+ 6   // flags (tag 16 is two bytes) is never 0: HAS_IS_REMOTE is always set
    }

    static func statusSize(_ r: UnsafePointer<SpanRecord>) -> Int {
        let message = Int(r.pointee.statusMessageCount)
        return (message == 0 ? 0 : ProtoSize.delimited(2, message)) &+ OTLPProtobuf.enumFieldSize(Int32(r.pointee.status))
    }

    /// Writes the record at `r`; `size` is its `protoSize`, computed by the caller. The fixed
    /// fields (ids, name, kind, times) go in two blocks, each under one bounds check; the inline
    /// texts (tracestate, status message) are reached only when present; the attributes and
    /// events are copied as they are.
    static func writeProto(_ r: UnsafePointer<SpanRecord>, _ w: inout ProtoWriter, size: Int) {
        w.messageHeader(2, length: size)
        w.block(28) { p in   // trace_id (1) and span_id (2): tag, length, bytes
            p[0] = 1 << 3 | 2
            p[1] = 16
            ProtoWriter.storeBigEndian(p + 2, r.pointee.traceHi)
            ProtoWriter.storeBigEndian(p + 10, r.pointee.traceLo)
            p[18] = 2 << 3 | 2
            p[19] = 8
            ProtoWriter.storeBigEndian(p + 20, r.pointee.spanID)
        }
        if r.pointee.traceStateCount != 0 { SpanRecord.withTraceState(r) { w.bytesField(3, $0) } }
        r.pointee.name.withBytes { name in writeParentNameKindTimes(r, name, &w) }
        w.bytes(SpanRecord.attributeBytes(r))
        w.varintField(10, UInt64(r.pointee.droppedAttributes))
        w.bytes(SpanRecord.eventBytes(r))
        w.varintField(12, UInt64(r.pointee.droppedEvents))
        let status = statusSize(r)
        if status != 0 {
            w.messageHeader(15, length: status)
            if r.pointee.statusMessageCount != 0 { SpanRecord.withStatusMessage(r) { w.bytesField(2, $0) } }
            w.int32Field(3, Int32(r.pointee.status))
        }
        w.fixed32Field(16, otlpSpanFlags(w3c: r.pointee.flags, parentIsRemote: r.pointee.parentIsRemote))
    }

    /// parent_span_id (4), name (5), kind (6), start (7) and end (8) times, each omitted when
    /// empty or 0, as one block.
    @inline(__always)
    private static func writeParentNameKindTimes(_ r: UnsafePointer<SpanRecord>, _ name: UnsafeRawBufferPointer,
                                                 _ w: inout ProtoWriter) {
        let parent = r.pointee.parentID, kind = UInt64(r.pointee.kind)
        let start = r.pointee.startUnixNano, end = r.pointee.endUnixNano
        let n = name.count
        var size = (parent == 0 ? 0 : 10) &+ (n == 0 ? 0 : ProtoSize.delimited(5, n))
        size &+= (kind == 0 ? 0 : 1 &+ ProtoSize.varint(kind)) &+ (start == 0 ? 0 : 9) &+ (end == 0 ? 0 : 9)
        w.block(size) { p in
            var i = 0
            if parent != 0 {
                p[0] = 4 << 3 | 2
                p[1] = 8
                ProtoWriter.storeBigEndian(p + 2, parent)
                i = 10
            }
            if n != 0 {
                p[i] = 5 << 3 | 2
                i &+= 1 &+ Varint.put(p + i + 1, UInt64(n))
                ShortBytes.copy(p + i, name.baseAddress!, n)
                i &+= n
            }
            if kind != 0 {
                p[i] = 6 << 3
                i &+= 1 &+ Varint.put(p + i + 1, kind)
            }
            if start != 0 {
                p[i] = 7 << 3 | 1
                UnsafeMutableRawPointer(p + i + 1).storeBytes(of: start.littleEndian, as: UInt64.self)
                i &+= 9
            }
            if end != 0 {
                p[i] = 8 << 3 | 1
                UnsafeMutableRawPointer(p + i + 1).storeBytes(of: end.littleEndian, as: UInt64.self)
                i &+= 9
            }
            precondition(i == size, "SpanRecord protobuf: a block's size differs from its precomputed size")
        }
    }
}

extension SpanValue {
    /// The length of a text value's UTF-8 (0 for numbers and booleans).
    var byteCount: Int {
        switch self {
        case .literal(let s): return s.utf8CodeUnitCount
        case .text(let t): return Int(t.count)
        default: return 0
        }
    }

    /// The UTF-8 bytes of a text value (empty for numbers and booleans), without copying to a String.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .literal(let s): return body(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        case .text(let t): return t.withBytes(body)
        default: return body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }
}

extension ProtoWriter {
    /// A string field from raw bytes; omitted when empty unless `always`.
    @inline(__always)
    mutating func bytesField(_ field: UInt32, _ b: UnsafeRawBufferPointer, always: Bool = false) {
        guard b.count != 0 || always else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(b.count))
        bytes(b)
    }
}
