import Reactor

/// Limits and timeouts of the HTTP server.
public struct ServerConfig: Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    public var limits = HTTPLimits()
    /// An open connection with no request under way is closed after this long.
    public var keepAliveTimeout = TimeAmount.seconds(60)
    /// From the first byte of a request to the end of its head (slowloris protection).
    public var headerTimeout = TimeAmount.seconds(10)
    /// From the end of the head to the end of the body.
    public var bodyTimeout = TimeAmount.seconds(30)
    /// The longest a request may take from dispatch to its answer: its `RequestContext`
    /// deadline. A handler that has not answered by then gets a 504 written for it (its outcome
    /// is unknown) and the connection is closed.
    public var requestTimeout = TimeAmount.seconds(12)
    /// The lowercase name of a header in which a caller inside the trust boundary passes the
    /// milliseconds it still waits (the chain's hops: `x-chain-deadline-ms`); a sooner deadline
    /// than `requestTimeout` is then the request's. nil (the default, and the edge of the chain)
    /// ignores it: a client outside cannot stretch or shrink the server's own budget.
    public var callerDeadlineHeader: StaticString? = nil
    /// After an error response, unread input is drained this long before the close, so the
    /// client sees the response rather than a reset.
    public var lingerTimeout = TimeAmount.seconds(2)
    /// Read and discarded per wake-up while lingering, and in all before the close: a client
    /// that keeps sending after an error must not hold the loop or the connection.
    public var lingerReadBudget = 64 * 1024
    public var lingerMaxBytes = 1 << 20
    /// Admission control, per loop. Above `maxConnections` the loop stops accepting (the
    /// kernel's backlog holds the rest); above `maxInFlight` requests being handled, a new
    /// request is answered 503 `unavailable` with `Retry-After` at once instead of queueing.
    /// Routes added with `admission: .always` (health, metrics) are never refused.
    public var maxConnections = 4096
    public var maxInFlight = 256
    /// Seconds a refused client is told to wait (`Retry-After`).
    public var retryAfterSeconds = 1
    /// Pending output above which the connection stops reading and parsing (back-pressure).
    public var outputHighWater = 256 * 1024

    public init() {}
}
