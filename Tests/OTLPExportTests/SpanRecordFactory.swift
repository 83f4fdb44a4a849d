@testable import Tracing
@testable import OTLPExport

/// One event of a hand-built record.
struct SpanEventSpec {
    var name: StaticString
    var time: UInt64
    var attributes: [SpanAttribute] = []
    var droppedAttributes: UInt8 = 0
}

extension SpanRecord {
    /// A record filled field by field, as a loop's tracer would leave it in the ring, for the
    /// encoder and exporter tests. What exceeds a record's bounds is counted as dropped, as there.
    static func make(trace: (UInt64, UInt64), spanID: UInt64, parentID: UInt64 = 0, traceState: String = "",
                     flags: UInt8 = 1, parentIsRemote: Bool = false, name: String, kind: SpanKind = .internal,
                     start: UInt64, end: UInt64, attributes: [SpanAttribute] = [], droppedAttributes: UInt16 = 0,
                     events: [SpanEventSpec] = [], droppedEvents: UInt16 = 0,
                     status: StatusCode = .unset, statusMessage: String = "") -> SpanRecord {
        var r = SpanRecord()
        r.traceHi = trace.0
        r.traceLo = trace.1
        r.spanID = spanID
        r.parentID = parentID
        r.traceState = InlineMessage(traceState)
        r.flags = flags
        r.parentIsRemote = parentIsRemote
        r.name = .text(InlineText(name))
        r.kind = UInt8(kind.rawValue)
        r.startUnixNano = start
        r.endUnixNano = end
        for a in attributes { r.add(a) }
        r.droppedAttributes += droppedAttributes
        for e in events { r.addEvent(e.name, at: e.time, e.attributes, extraDropped: UInt32(e.droppedAttributes)) }
        r.droppedEvents += droppedEvents
        r.status = UInt8(status.rawValue)
        r.statusMessage = InlineMessage(statusMessage)
        return r
    }

    static func encodeProtobuf(_ records: [SpanRecord], resource: ExportResource, scopeName: String = "",
                               scopeVersion: String = "") -> [UInt8] {
        var out: [UInt8] = []
        encodeProtobuf(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, spans: records, into: &out)
        return out
    }
}
