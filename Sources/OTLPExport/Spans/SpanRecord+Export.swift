import Tracing

extension SpanValue {
    var stringValue: String {
        if case .literal(let s) = self { return s.description }
        if case .text(let t) = self { return t.string }
        return ""
    }
}

extension SpanRecord {
    /// The exporter's model of this record (on the exporter thread, where allocating is fine):
    /// for the OTLP/JSON span file, and for tests. The attributes and events are decoded from
    /// the bytes the record keeps them in.
    public func exported() -> ExportSpan {
        withUnsafePointer(to: self) { r in
            ExportSpan(
                traceID: (traceHi, traceLo), spanID: spanID, parentSpanID: parentID,
                traceState: traceState.string, flags: UInt32(flags), parentIsRemote: parentIsRemote,
                name: name.stringValue, kind: SpanKind(rawValue: Int32(kind)) ?? .internal,
                startUnixNano: startUnixNano, endUnixNano: endUnixNano,
                attributes: RecordWire.keyValues(SpanRecord.attributeBytes(r), field: 9),
                droppedAttributesCount: UInt32(droppedAttributes),
                events: RecordWire.events(SpanRecord.eventBytes(r)), droppedEventsCount: UInt32(droppedEvents),
                status: StatusCode(rawValue: Int32(status)) ?? .unset, statusMessage: statusMessage.string)
        }
    }
}

/// Reads back the protobuf a record keeps its attributes and events in (Tracing's
/// AttributeWire.swift writes it). The record's own bytes: anything else there is a bug, which
/// an assertion reports; a release build keeps what it could read.
enum RecordWire {
    /// The KeyValues of every field `field` in `bytes`.
    static func keyValues(_ bytes: UnsafeRawBufferPointer, field: UInt32) -> [Attribute] {
        var out: [Attribute] = []
        var r = ProtoReader(bytes)
        while !r.atEnd {
            guard let (f, t) = r.tag(), let body = t == .lengthDelimited ? r.delimited() : nil, f == field,
                  let a = keyValue(body) else { assertionFailure("a record's attribute bytes do not decode"); break }
            out.append(a)
        }
        return out
    }

    static func keyValue(_ bytes: UnsafeRawBufferPointer) -> Attribute? {
        var r = ProtoReader(bytes)
        var key = ""
        var value: AttributeValue?
        while !r.atEnd {
            guard let (f, t) = r.tag() else { return nil }
            switch (f, t) {
            case (1, .lengthDelimited):
                guard let k = r.delimited() else { return nil }
                key = String(decoding: k, as: UTF8.self)
            case (2, .lengthDelimited):
                guard let v = r.delimited() else { return nil }
                value = anyValue(v)
            default:
                return nil
            }
        }
        return value.map { Attribute(key: key, value: $0) }
    }

    static func anyValue(_ bytes: UnsafeRawBufferPointer) -> AttributeValue? {
        var r = ProtoReader(bytes)
        guard let (f, t) = r.tag() else { return nil }
        switch (f, t) {
        case (1, .lengthDelimited): return r.delimited().map { .string(String(decoding: $0, as: UTF8.self)) }
        case (2, .varint): return r.varint().map { .bool($0 != 0) }
        case (3, .varint): return r.varint().map { .int(Int64(bitPattern: $0)) }
        case (4, .fixed64): return r.fixed64().map { .double(Double(bitPattern: $0)) }
        default: return nil
        }
    }

    /// The Events of Span.events fields (11).
    static func events(_ bytes: UnsafeRawBufferPointer) -> [ExportEvent] {
        var out: [ExportEvent] = []
        var r = ProtoReader(bytes)
        while !r.atEnd {
            guard let (f, t) = r.tag(), f == 11, t == .lengthDelimited, let body = r.delimited(),
                  let e = event(body) else { assertionFailure("a record's event bytes do not decode"); break }
            out.append(e)
        }
        return out
    }

    static func event(_ bytes: UnsafeRawBufferPointer) -> ExportEvent? {
        var r = ProtoReader(bytes)
        var time: UInt64 = 0, name = "", dropped: UInt32 = 0
        var attributes: [Attribute] = []
        while !r.atEnd {
            guard let (f, t) = r.tag() else { return nil }
            switch (f, t) {
            case (1, .fixed64): guard let v = r.fixed64() else { return nil }; time = v
            case (2, .lengthDelimited): guard let n = r.delimited() else { return nil }; name = String(decoding: n, as: UTF8.self)
            case (3, .lengthDelimited): guard let b = r.delimited(), let a = keyValue(b) else { return nil }; attributes.append(a)
            case (4, .varint): guard let v = r.varint() else { return nil }; dropped = UInt32(truncatingIfNeeded: v)
            default: return nil
            }
        }
        return ExportEvent(name: name, timeUnixNano: time, attributes: attributes, droppedAttributesCount: dropped)
    }
}

extension RecordWire {
    /// The span of a ScopeSpans.spans field, as `SpanRecord.writeWire` writes it (a loop's ring
    /// holds these); nil when the bytes are anything else.
    static func span(field bytes: UnsafeRawBufferPointer) -> ExportSpan? {
        var r = ProtoReader(bytes)
        guard let (f, t) = r.tag(), f == 2, t == .lengthDelimited, let body = r.delimited(), r.atEnd else { return nil }
        return span(body)
    }

    /// The Span message in `bytes`: the fields `writeWire` writes, each at most once but for
    /// the repeated attributes and events.
    static func span(_ bytes: UnsafeRawBufferPointer) -> ExportSpan? {
        var s = ExportSpan(traceID: (0, 0), spanID: 0, flags: 0, name: "", kind: .unspecified, startUnixNano: 0, endUnixNano: 0)
        var r = ProtoReader(bytes)
        while !r.atEnd {
            guard let (f, t) = r.tag() else { return nil }
            switch (f, t) {
            case (1, .lengthDelimited):
                guard let id = r.delimited(), id.count == 16 else { return nil }
                s.traceID = (bigEndian(id, 0), bigEndian(id, 8))
            case (2, .lengthDelimited):
                guard let id = r.delimited(), id.count == 8 else { return nil }
                s.spanID = bigEndian(id, 0)
            case (3, .lengthDelimited): guard let v = r.delimited() else { return nil }; s.traceState = text(v)
            case (4, .lengthDelimited):
                guard let id = r.delimited(), id.count == 8 else { return nil }
                s.parentSpanID = bigEndian(id, 0)
            case (5, .lengthDelimited): guard let v = r.delimited() else { return nil }; s.name = text(v)
            case (6, .varint):
                guard let v = r.varint(), let k = SpanKind(rawValue: Int32(truncatingIfNeeded: v)) else { return nil }
                s.kind = k
            case (7, .fixed64): guard let v = r.fixed64() else { return nil }; s.startUnixNano = v
            case (8, .fixed64): guard let v = r.fixed64() else { return nil }; s.endUnixNano = v
            case (9, .lengthDelimited): guard let b = r.delimited(), let a = keyValue(b) else { return nil }; s.attributes.append(a)
            case (10, .varint): guard let v = r.varint() else { return nil }; s.droppedAttributesCount = UInt32(truncatingIfNeeded: v)
            case (11, .lengthDelimited): guard let b = r.delimited(), let e = event(b) else { return nil }; s.events.append(e)
            case (12, .varint): guard let v = r.varint() else { return nil }; s.droppedEventsCount = UInt32(truncatingIfNeeded: v)
            case (15, .lengthDelimited): guard let b = r.delimited(), status(b, into: &s) else { return nil }
            case (16, .fixed32):
                guard let v = r.fixed32() else { return nil }
                s.flags = v & 0xFF
                s.parentIsRemote = v & 0x200 != 0
            default: return nil
            }
        }
        return s
    }

    /// Status: message (2) and code (3).
    private static func status(_ bytes: UnsafeRawBufferPointer, into s: inout ExportSpan) -> Bool {
        var r = ProtoReader(bytes)
        while !r.atEnd {
            guard let (f, t) = r.tag() else { return false }
            switch (f, t) {
            case (2, .lengthDelimited): guard let v = r.delimited() else { return false }; s.statusMessage = text(v)
            case (3, .varint):
                guard let v = r.varint(), let c = StatusCode(rawValue: Int32(truncatingIfNeeded: v)) else { return false }
                s.status = c
            default: return false
            }
        }
        return true
    }

    private static func bigEndian(_ b: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(bigEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    private static func text(_ b: UnsafeRawBufferPointer) -> String { String(decoding: b, as: UTF8.self) }
}

extension SpanRing {
    /// Takes up to `max` of the waiting spans, decoded: for tests and tools (the exporter sends
    /// them as they are, through RingSpanSource). Consumer side: one thread at a time.
    public func drainExported(max: Int = .max) -> [ExportSpan] {
        var out: [ExportSpan] = []
        drain(max: max) { entry in
            guard let s = RecordWire.span(field: entry) else { return assertionFailure("an encoded span does not decode") }
            out.append(s)
        }
        return out
    }
}
