import Tracing

/// What the exporter's value-draining form (`SpanExporter(drain:)`) can send: `SpanRecord`
/// values, encoded as the loops encode them (SpanRecord+Wire.swift), to OTLP/JSON through
/// `ExportSpan`.
public protocol ExportableSpan {
    static func encodeProtobuf(resource: ExportResource, scopeName: String, scopeVersion: String,
                               spans: [Self], into out: inout [UInt8])
    static func encodeJSON(resource: ExportResource, scopeName: String, scopeVersion: String,
                           spans: [Self], into out: inout [UInt8])
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
