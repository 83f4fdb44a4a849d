/// What a request brought: its remote parent, or nil when the request starts a new trace.
public struct IncomingContext: Hashable, Sendable {
    /// The caller's span (`isRemote`), carrying the validated `tracestate`.
    public var parent: SpanContext?

    public init(parent: SpanContext?) { self.parent = parent }
}
