import Reactor
import Tracing

/// What the server knows about one request beyond its bytes, made once when the request is
/// dispatched and handed to its handler inside the `Request`: the loop it lives on, its SERVER
/// span, and when its answer is due. Handlers read it; nothing looks a request's state up again.
public struct RequestContext {
    public let loop: EventLoop
    /// The request's SERVER span, continuing the caller's trace; nil when the server is untraced.
    public let span: Span?
    /// The tracer `span` belongs to (it keeps the span's `tracestate`); nil when untraced.
    public let tracer: Tracer?
    /// When the answer must have left: `ServerConfig.requestTimeout` after dispatch, or sooner
    /// when a caller inside the trust boundary said so (`ServerConfig.callerDeadlineHeader`).
    public let deadline: Instant
    /// When the request was dispatched (the loop's clock).
    public let receivedAt: Instant

    public init(loop: EventLoop, span: Span?, deadline: Instant, receivedAt: Instant, tracer: Tracer? = nil) {
        self.loop = loop
        self.span = span
        self.tracer = tracer
        self.deadline = deadline
        self.receivedAt = receivedAt
    }

    /// The time left before the deadline, by the loop's clock (zero once it passed).
    public var remaining: TimeAmount { deadline - loop.now }

    /// The parent of the request's child spans and outgoing calls.
    public var traceParent: SpanContext? {
        guard let span, let tracer else { return nil }
        return tracer.context(of: span)
    }

    /// The trace id error bodies carry ("" when untraced).
    public var traceID: String { span?.traceID.hexString ?? "" }
}
