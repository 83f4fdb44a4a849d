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
        // loads all 2.4 KB of it onto the stack first: twice per span, a third of the
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

    /// Writes the record at `r`; `size` is its `protoSize`, computed by the caller. The inline
    /// texts (tracestate, status message) are reached only when present; the attributes and
    /// events are copied as they are.
    static func writeProto(_ r: UnsafePointer<SpanRecord>, _ w: inout ProtoWriter, size: Int) {
        w.messageHeader(2, length: size)
        w.tag(1, .lengthDelimited); w.varint(16)
        w.bigEndian64(r.pointee.traceHi)
        w.bigEndian64(r.pointee.traceLo)
        w.tag(2, .lengthDelimited); w.varint(8)
        w.bigEndian64(r.pointee.spanID)
        if r.pointee.traceStateCount != 0 { r.pointee.traceState.withBytes { w.bytesField(3, $0) } }
        if r.pointee.parentID != 0 {
            w.tag(4, .lengthDelimited); w.varint(8)
            w.bigEndian64(r.pointee.parentID)
        }
        r.pointee.name.withBytes { w.bytesField(5, $0) }
        w.int32Field(6, Int32(r.pointee.kind))
        w.fixed64Field(7, r.pointee.startUnixNano)
        w.fixed64Field(8, r.pointee.endUnixNano)
        w.bytes(SpanRecord.attributeBytes(r))
        w.varintField(10, UInt64(r.pointee.droppedAttributes))
        w.bytes(SpanRecord.eventBytes(r))
        w.varintField(12, UInt64(r.pointee.droppedEvents))
        let status = statusSize(r)
        if status != 0 {
            w.messageHeader(15, length: status)
            if r.pointee.statusMessageCount != 0 { r.pointee.statusMessage.withBytes { w.bytesField(2, $0) } }
            w.int32Field(3, Int32(r.pointee.status))
        }
        w.fixed32Field(16, otlpSpanFlags(w3c: r.pointee.flags, parentIsRemote: r.pointee.parentIsRemote))
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
