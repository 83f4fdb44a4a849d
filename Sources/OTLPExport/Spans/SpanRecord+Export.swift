import Tracing
extension SpanValue {
    var exported: AttributeValue {
        switch self {
        case .int(let v): return .int(v)
        case .double(let v): return .double(v)
        case .bool(let v): return .bool(v)
        case .literal(let s): return .string(s.description)
        case .text(let t): return .string(t.string)
        }
    }

    var stringValue: String {
        if case .literal(let s) = self { return s.description }
        if case .text(let t) = self { return t.string }
        return ""
    }
}

extension SpanRecord {
    /// The exporter's model of this record (on the exporter thread, where allocating is fine).
    public func exported() -> ExportSpan {
        var attrs: [Attribute] = []
        attrs.reserveCapacity(Int(attributeCount))
        for i in 0..<Int(attributeCount) {
            attrs.append(Attribute(key: attributes[i].key.description, value: attributes[i].value.exported))
        }
        var evs: [ExportEvent] = []
        for i in 0..<Int(eventCount) {
            let e = events[i]
            var ea: [Attribute] = []
            for k in 0..<Int(e.attributeCount) {
                ea.append(Attribute(key: e.attributes[k].key.description, value: e.attributes[k].value.exported))
            }
            evs.append(ExportEvent(name: e.name.description, timeUnixNano: e.timeUnixNano, attributes: ea,
                                   droppedAttributesCount: UInt32(e.droppedAttributes)))
        }
        return ExportSpan(
            traceID: (traceHi, traceLo), spanID: spanID, parentSpanID: parentID,
            traceState: traceState.string, flags: UInt32(flags), parentIsRemote: parentIsRemote,
            name: name.stringValue, kind: SpanKind(rawValue: Int32(kind)) ?? .internal,
            startUnixNano: startUnixNano, endUnixNano: endUnixNano,
            attributes: attrs, droppedAttributesCount: UInt32(droppedAttributes),
            events: evs, droppedEventsCount: UInt32(droppedEvents),
            status: StatusCode(rawValue: Int32(status)) ?? .unset, statusMessage: statusMessage.string)
    }
}
