import Reactor
import Tracing

/// OTLP ExportTraceServiceRequests from encoded spans: ScopeSpans.spans fields as the loops'
/// rings hold them (`SpanRecord.writeWire`). The request's few headers are written here; the
/// spans are copied as they are, a run of them at a time. Field numbers and the canonical
/// encoding are in OTLPProtobuf.swift; OTLPEncoderTests decodes the output with the official
/// opentelemetry-proto package.
enum TracesRequest {
    /// Appends to `out` one request holding the encoded spans of `runs`, in order.
    static func encode(resource: ExportResource, scopeName: String, scopeVersion: String,
                       runs: [UnsafeRawBufferPointer], into out: inout [UInt8]) {
        let resourceLen = OTLPProtobuf.attributesSize(1, resource.attributes)
        let scopeLen = ProtoSize.string(1, scopeName) &+ ProtoSize.string(2, scopeVersion)
        let spansLen = runs.reduce(0) { $0 &+ $1.count }
        let scopeSpansLen = ProtoSize.delimited(1, scopeLen) &+ spansLen
        let resourceSpansLen = ProtoSize.delimited(1, resourceLen) &+ ProtoSize.delimited(2, scopeSpansLen)
        let total = ProtoSize.delimited(1, resourceSpansLen)
        let headers = total &- spansLen
        let start = out.count
        out.reserveCapacity(start &+ total &+ ProtoWriter.slack)
        out.append(contentsOf: repeatElement(0, count: headers &+ ProtoWriter.slack))
        out.withUnsafeMutableBufferPointer { buf in
            var w = ProtoWriter(base: buf.baseAddress! + start, length: headers)
            w.messageHeader(1, length: resourceSpansLen)
            w.messageHeader(1, length: resourceLen)
            OTLPProtobuf.writeAttributes(&w, 1, resource.attributes)
            w.messageHeader(2, length: scopeSpansLen)
            w.messageHeader(1, length: scopeLen)
            w.stringField(1, scopeName)
            w.stringField(2, scopeVersion)
            precondition(w.position == headers, "TracesRequest: headers' size differs from the precomputed size")
        }
        out.removeLast(ProtoWriter.slack)
        // The ring's bytes are bound to UInt8 (ReservedPages<UInt8>): appended with one memcpy.
        for run in runs { out.append(contentsOf: run.assumingMemoryBound(to: UInt8.self)) }
    }

    /// The same request as OTLP/JSON (the span file: a local fallback, not the hot path), the
    /// spans decoded from their bytes.
    static func encodeJSON(resource: ExportResource, scopeName: String, scopeVersion: String,
                           runs: [UnsafeRawBufferPointer], into out: inout [UInt8]) {
        var spans: [ExportSpan] = []
        for run in runs {
            SpanRing.forEachEntry(in: run) { entry in
                guard let s = RecordWire.span(field: entry) else {
                    return assertionFailure("an encoded span does not decode")
                }
                spans.append(s)
            }
        }
        OTLPJSON.encodeTraces(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, spans: spans, into: &out)
    }
}

extension SpanRecord {
    /// The records' request, through the same encoding the loops use.
    static func encodeTraces(resource: ExportResource, scopeName: String, scopeVersion: String,
                             records: UnsafeBufferPointer<SpanRecord>, into out: inout [UInt8]) {
        var wire: [UInt8] = []
        for i in records.indices { wire += wireBytes(records.baseAddress! + i) }
        wire.withUnsafeBytes {
            TracesRequest.encode(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, runs: [$0], into: &out)
        }
    }
}
