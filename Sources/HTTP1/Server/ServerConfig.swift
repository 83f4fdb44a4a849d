/// Limits and timeouts of the HTTP server. Times are nanoseconds.
public struct ServerConfig: Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    public var limits = HTTPLimits()
    /// An open connection with no request under way is closed after this long.
    public var keepAliveTimeout: UInt64 = 60_000_000_000
    /// From the first byte of a request to the end of its head (slowloris protection).
    public var headerTimeout: UInt64 = 10_000_000_000
    /// From the end of the head to the end of the body.
    public var bodyTimeout: UInt64 = 30_000_000_000
    /// From a complete request to its response; then 503 and the connection is closed.
    public var requestTimeout: UInt64 = 30_000_000_000
    /// After an error response, unread input is drained this long before the close, so the
    /// client sees the response rather than a reset.
    public var lingerTimeout: UInt64 = 2_000_000_000
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
