/// An attribute value as a span record stores it: numbers inline, static strings by pointer
/// (names, SQL text, route patterns), other text copied inline.
public enum SpanValue: BitwiseCopyable {
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case literal(StaticString)
    case text(InlineText)
}

public struct SpanAttribute: BitwiseCopyable {
    public var key: StaticString
    public var value: SpanValue
    public init(_ key: StaticString, _ value: SpanValue) {
        self.key = key
        self.value = value
    }
}

public struct SpanEventRecord: BitwiseCopyable {
    public static let maxAttributes = 3
    public internal(set) var name: StaticString
    public internal(set) var timeUnixNano: UInt64
    public internal(set) var attributeCount: UInt8 = 0
    public internal(set) var droppedAttributes: UInt8 = 0
    public internal(set) var attributes: InlineArray<3, SpanAttribute>
}

/// One span, fixed size and free of references: recording it allocates nothing, and it moves
/// into the loop's ring with one copy. Bounds (attributes, events, text) are fixed; what does
/// not fit is counted, as OTLP's dropped counts.
public struct SpanRecord: BitwiseCopyable {
    public static let maxAttributes = 12
    public static let maxEvents = 4

    public internal(set) var traceHi: UInt64 = 0
    public internal(set) var traceLo: UInt64 = 0
    public internal(set) var spanID: UInt64 = 0
    public internal(set) var parentID: UInt64 = 0
    public internal(set) var flags: UInt8 = 0
    public internal(set) var parentIsRemote = false
    public internal(set) var kind: UInt8 = 1
    public internal(set) var status: UInt8 = 0
    public internal(set) var name: SpanValue = .literal("")
    public internal(set) var startUnixNano: UInt64 = 0
    public internal(set) var endUnixNano: UInt64 = 0
    public internal(set) var statusMessage = InlineMessage()
    public internal(set) var attributeCount: UInt8 = 0
    public internal(set) var droppedAttributes: UInt16 = 0
    public internal(set) var eventCount: UInt8 = 0
    public internal(set) var droppedEvents: UInt16 = 0
    /// Set when some text was cut to fit (counted by the exporter).
    public internal(set) var truncatedText = false
    /// The W3C tracestate when it fits (120 bytes); a longer one is left out and flagged.
    public internal(set) var traceState = InlineMessage()
    public internal(set) var attributes: InlineArray<12, SpanAttribute>
    public internal(set) var events: InlineArray<4, SpanEventRecord>

    init() {
        let empty = SpanAttribute("", .int(0))
        attributes = InlineArray(repeating: empty)
        events = InlineArray(repeating: SpanEventRecord(name: "", timeUnixNano: 0, attributes: InlineArray(repeating: empty)))
    }

    /// Clears the counts so the slot can be reused; the inline arrays are overwritten as filled.
    mutating func reset() {
        parentID = 0
        status = 0
        statusMessage = InlineMessage()
        attributeCount = 0
        droppedAttributes = 0
        eventCount = 0
        droppedEvents = 0
        truncatedText = false
        traceState = InlineMessage()
    }

    mutating func add(_ a: SpanAttribute) {
        if case .text(let t) = a.value, t.truncated { truncatedText = true }
        guard Int(attributeCount) < Self.maxAttributes else { droppedAttributes &+= 1; return }
        attributes[Int(attributeCount)] = a
        attributeCount += 1
    }

    mutating func addEvent(_ name: StaticString, at time: UInt64, _ attrs: [SpanAttribute]) {
        guard Int(eventCount) < Self.maxEvents else { droppedEvents &+= 1; return }
        var e = events[Int(eventCount)]
        e.name = name
        e.timeUnixNano = time
        e.attributeCount = 0
        e.droppedAttributes = 0
        for a in attrs {
            if Int(e.attributeCount) < SpanEventRecord.maxAttributes {
                e.attributes[Int(e.attributeCount)] = a
                e.attributeCount += 1
            } else {
                e.droppedAttributes &+= 1
            }
        }
        events[Int(eventCount)] = e
        eventCount += 1
    }
}
