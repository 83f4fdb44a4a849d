/// What identifies a span across processes: the fields of `traceparent` plus `tracestate`.
public struct SpanContext: Hashable, Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    public var flags: TraceFlags
    public var traceState: TraceState
    /// True when the context came from another process (a parsed header).
    public var isRemote: Bool

    public init(traceID: TraceID, spanID: SpanID, flags: TraceFlags = [],
                traceState: TraceState = TraceState(), isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
        self.traceState = traceState
        self.isRemote = isRemote
    }

    public var isValid: Bool { traceID.isValid && spanID.isValid }

    public var isSampled: Bool { flags.contains(.sampled) }
}
