import Tracing
/// What the exporter can send: `ExportSpan` values (tests, other producers) or the loops' raw
/// `SpanRecord`s, which encode to protobuf directly.
public protocol ExportableSpan {
    static func encodeProtobuf(resource: ExportResource, scopeName: String, scopeVersion: String,
                               spans: [Self], into out: inout [UInt8])
    static func encodeJSON(resource: ExportResource, scopeName: String, scopeVersion: String,
                           spans: [Self], into out: inout [UInt8])
}

extension ExportSpan: ExportableSpan {
    public static func encodeProtobuf(resource: ExportResource, scopeName: String, scopeVersion: String,
                                      spans: [ExportSpan], into out: inout [UInt8]) {
        OTLPProtobuf.encodeTraces(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, spans: spans, into: &out)
    }

    public static func encodeJSON(resource: ExportResource, scopeName: String, scopeVersion: String,
                                  spans: [ExportSpan], into out: inout [UInt8]) {
        OTLPJSON.encodeTraces(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, spans: spans, into: &out)
    }
}

extension SpanRecord: ExportableSpan {
    public static func encodeProtobuf(resource: ExportResource, scopeName: String, scopeVersion: String,
                                      spans: [SpanRecord], into out: inout [UInt8]) {
        spans.withUnsafeBufferPointer {
            encodeTraces(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, records: $0, into: &out)
        }
    }

    /// The file sink is the local fallback, not the hot path: convert and reuse the JSON encoder.
    public static func encodeJSON(resource: ExportResource, scopeName: String, scopeVersion: String,
                                  spans: [SpanRecord], into out: inout [UInt8]) {
        OTLPJSON.encodeTraces(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion,
                              spans: spans.map { $0.exported() }, into: &out)
    }
}
