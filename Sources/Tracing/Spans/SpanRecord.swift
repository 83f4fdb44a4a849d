/// An attribute value as it is given to a span: numbers inline, static strings by pointer
/// (names, SQL text, route patterns), other text copied inline. The record stores it encoded
/// (AttributeWire.swift).
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

/// One open span, fixed size and free of references: recording it allocates nothing, and when
/// it ends it is encoded into the loop's ring as the OTLP protobuf it is sent in
/// (SpanRecord+Wire.swift). Bounds (attributes, events, text) are
/// fixed; what does not fit is counted, as OTLP's dropped counts.
///
/// Attributes and events are kept as the OTLP protobuf fields the exporter sends
/// (AttributeWire.swift), each in its own byte area: `attributeByteCount` and `eventByteCount`
/// bytes of them are valid. Read them with `attributeBytes`/`eventBytes`, or decoded through
/// OTLPExport's `exported()`.
public struct SpanRecord: BitwiseCopyable {
    public static let maxAttributes = 12
    public static let maxEvents = 4
    public static let maxEventAttributes = 3
    /// Room for the encoded attributes: twelve with 47-byte texts and 30-byte keys fit, and so
    /// does the longest SQL text the services set (about 1,000 bytes; SQLSpanFitTests).
    public static let attributeCapacity = 2048
    /// Room for the encoded events: four of three such attributes each fit.
    public static let eventCapacity = 1024

    public internal(set) var traceHi: UInt64 = 0
    public internal(set) var traceLo: UInt64 = 0
    public internal(set) var spanID: UInt64 = 0
    public internal(set) var parentID: UInt64 = 0
    public internal(set) var flags: UInt8 = 0
    public internal(set) var parentIsRemote = false
    public internal(set) var kind: UInt8 = 1
    public internal(set) var status: UInt8 = 0
    /// The name: a literal where it lies, or (`nameIsText`) `nameText`. Read it through
    /// `name`, or `nameBytes` where it lies: a `SpanValue` read from a record copies its
    /// 48-byte payload first (a `memmove` call for every span encoded).
    var nameLiteral: StaticString = ""
    var nameText = InlineText()
    var nameIsText = false
    public internal(set) var startUnixNano: UInt64 = 0
    public internal(set) var endUnixNano: UInt64 = 0
    /// The lengths of `statusMessage` and `traceState`. The texts themselves (121 bytes each)
    /// lie at the record's end, and most spans leave both empty: a reader reaches them only
    /// when these say they hold something.
    public internal(set) var statusMessageCount: UInt8 = 0
    public internal(set) var traceStateCount: UInt8 = 0
    public internal(set) var attributeCount: UInt8 = 0
    public internal(set) var droppedAttributes: UInt16 = 0
    public internal(set) var eventCount: UInt8 = 0
    public internal(set) var droppedEvents: UInt16 = 0
    public internal(set) var attributeByteCount: UInt16 = 0
    public internal(set) var eventByteCount: UInt16 = 0
    /// Set when some text was cut to fit (counted by the exporter).
    public internal(set) var truncatedText = false
    // Bytes (so a pointer into them is a pointer to bound UInt8 memory), never copied as values
    // on the hot path: `writeWire` copies their used part as raw memory.
    var attributeArea: InlineArray<2048, UInt8>   // attributeCapacity
    var eventArea: InlineArray<1024, UInt8>       // eventCapacity
    // Stale whenever their count is 0 (a reused slot): read them through
    // `statusMessage` and `traceState`.
    var storedStatusMessage = InlineMessage()
    var storedTraceState = InlineMessage()

    /// The status description (an error's message).
    public internal(set) var statusMessage: InlineMessage {
        get { statusMessageCount == 0 ? InlineMessage() : storedStatusMessage }
        set { storedStatusMessage = newValue; statusMessageCount = newValue.count }
    }

    /// The W3C tracestate when it fits (120 bytes); a longer one is left out and flagged.
    public internal(set) var traceState: InlineMessage {
        get { traceStateCount == 0 ? InlineMessage() : storedTraceState }
        set { storedTraceState = newValue; traceStateCount = newValue.count }
    }

    init() {
        attributeArea = InlineArray(repeating: 0)
        eventArea = InlineArray(repeating: 0)
    }

    /// Clears the counts so the slot can be reused; the byte areas are overwritten as filled.
    mutating func reset() {
        parentID = 0
        status = 0
        statusMessageCount = 0
        attributeCount = 0
        droppedAttributes = 0
        eventCount = 0
        droppedEvents = 0
        attributeByteCount = 0
        eventByteCount = 0
        truncatedText = false
        traceStateCount = 0
    }

    /// Encodes `a` after the attributes already there; past the count or the room it is
    /// dropped and counted. (`Tracer.setAttribute` does the same, inlined at its call site.)
    mutating func add(_ a: SpanAttribute) {
        let body = a.keyValueSize
        withUnsafeMutablePointer(to: &self) { r in
            guard let p = Self.reserveAttribute(r, size: AttributeWire.fieldSize(body), cut: a.value.isCutText) else { return }
            _ = a.write(tag: AttributeWire.spanAttributeTag, keyValueSize: body, to: p)
        }
    }

    /// Room for one more encoded attribute of `size` bytes in the record at `r`: counts it and
    /// returns where its bytes go, or counts it dropped (past the count or the room) and
    /// returns nil. A `cut` text value is remembered either way.
    @usableFromInline
    static func reserveAttribute(_ r: UnsafeMutablePointer<SpanRecord>, size: Int, cut: Bool) -> UnsafeMutablePointer<UInt8>? {
        if cut { r.pointee.truncatedText = true }
        let used = Int(r.pointee.attributeByteCount)
        guard Int(r.pointee.attributeCount) < maxAttributes, size <= attributeCapacity &- used else {
            r.pointee.droppedAttributes &+= 1
            return nil
        }
        r.pointee.attributeByteCount = UInt16(used &+ size)
        r.pointee.attributeCount &+= 1
        // In bounds: used + size <= attributeCapacity, the area's length; the area is UInt8s.
        return (UnsafeMutableRawPointer(r) + attributeAreaOffset + used).assumingMemoryBound(to: UInt8.self)
    }
}

extension SpanValue {
    /// The length of a text value's UTF-8 (0 for numbers and booleans).
    public var byteCount: Int {
        switch self {
        case .literal(let s): return s.utf8CodeUnitCount
        case .text(let t): return Int(t.count)
        default: return 0
        }
    }

    /// The UTF-8 bytes of a text value (empty for numbers and booleans), without copying to a String.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .literal(let s): return body(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        case .text(let t): return t.withBytes(body)
        default: return body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }
}

extension SpanRecord {
    public internal(set) var name: SpanValue {
        get { nameIsText ? .text(nameText) : .literal(nameLiteral) }
        set {
            switch newValue {
            case .literal(let s): nameLiteral = s; nameIsText = false
            case .text(let t): nameText = t; nameIsText = true
            default: nameLiteral = ""; nameIsText = false
            }
        }
    }
}
