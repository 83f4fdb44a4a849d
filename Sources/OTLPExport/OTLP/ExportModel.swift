// The exporter-side span model: encoded spans are decoded into these on the exporter thread when
// they go out as OTLP/JSON (the span file, OTLPJSON) and when tests read what a tracer recorded.
// Protobuf is sent as the loops encoded it. Plain values, no Foundation.

import Tracing

public enum AttributeValue: Equatable, Sendable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
}

public struct Attribute: Equatable, Sendable {
    public var key: String
    public var value: AttributeValue

    public init(key: String, value: AttributeValue) {
        self.key = key
        self.value = value
    }

    public init(_ key: String, _ value: String) { self.init(key: key, value: .string(value)) }
    public init(_ key: String, _ value: Int64) { self.init(key: key, value: .int(value)) }
    public init(_ key: String, _ value: Int) { self.init(key: key, value: .int(Int64(value))) }
    public init(_ key: String, _ value: Double) { self.init(key: key, value: .double(value)) }
    public init(_ key: String, _ value: Bool) { self.init(key: key, value: .bool(value)) }
}

public struct ExportEvent: Sendable {
    public var name: String
    public var timeUnixNano: UInt64
    public var attributes: [Attribute]
    public var droppedAttributesCount: UInt32

    public init(name: String, timeUnixNano: UInt64, attributes: [Attribute] = [], droppedAttributesCount: UInt32 = 0) {
        self.name = name
        self.timeUnixNano = timeUnixNano
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

public struct ExportSpan: Sendable {
    /// (hi, lo): the 16 id bytes are hi big-endian, then lo big-endian.
    public var traceID: (UInt64, UInt64)
    /// Big-endian 8 bytes on the wire.
    public var spanID: UInt64
    /// 0 = root span: the field is omitted.
    public var parentSpanID: UInt64
    public var traceState: String
    /// W3C trace flags in the low byte. The encoders send `flags & 0xFF`, plus
    /// SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE (0x100) always and SPAN_FLAGS_CONTEXT_IS_REMOTE (0x200)
    /// when `parentIsRemote` (see `otlpFlags`).
    public var flags: UInt32
    public var parentIsRemote: Bool
    public var name: String
    public var kind: SpanKind
    public var startUnixNano: UInt64
    public var endUnixNano: UInt64
    public var attributes: [Attribute]
    public var droppedAttributesCount: UInt32
    public var events: [ExportEvent]
    public var droppedEventsCount: UInt32
    public var status: StatusCode
    public var statusMessage: String

    public init(
        traceID: (UInt64, UInt64), spanID: UInt64, parentSpanID: UInt64 = 0,
        traceState: String = "", flags: UInt32 = 1, parentIsRemote: Bool = false,
        name: String, kind: SpanKind = .internal,
        startUnixNano: UInt64, endUnixNano: UInt64,
        attributes: [Attribute] = [], droppedAttributesCount: UInt32 = 0,
        events: [ExportEvent] = [], droppedEventsCount: UInt32 = 0,
        status: StatusCode = .unset, statusMessage: String = ""
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.traceState = traceState
        self.flags = flags
        self.parentIsRemote = parentIsRemote
        self.name = name
        self.kind = kind
        self.startUnixNano = startUnixNano
        self.endUnixNano = endUnixNano
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.events = events
        self.droppedEventsCount = droppedEventsCount
        self.status = status
        self.statusMessage = statusMessage
    }

    /// The OTLP `Span.flags` value (`otlpSpanFlags`).
    public var otlpFlags: UInt32 { otlpSpanFlags(w3c: UInt8(truncatingIfNeeded: flags), parentIsRemote: parentIsRemote) }
}

public struct ExportResource: Sendable {
    public var attributes: [Attribute]

    public init(attributes: [Attribute]) {
        self.attributes = attributes
    }
}
