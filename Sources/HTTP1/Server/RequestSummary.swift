import Reactor

/// What is left of a request once it was answered (its buffer may be reused by then): enough
/// to name it in a metric.
public struct RequestSummary {
    public let method: HTTPMethod
    public let routeIndex: Int      // -1: no route matched
    public let route: String
    public let receivedAt: Instant
}
