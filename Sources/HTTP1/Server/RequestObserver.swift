/// A per-loop hook around every routed request (telemetry uses it for the server span and the
/// request-duration metric). `requestBegan` runs before the handler and returns a token the
/// connection keeps; `requestEnded` gets it back once the response is written.
public protocol RequestObserver: AnyObject {
    func requestBegan(_ request: Request) -> UInt64
    func requestEnded(_ token: UInt64, _ request: RequestSummary, status: UInt16)
    /// The trace id (32 lowercase hex) for an error body the server writes itself (404, 405,
    /// a malformed request): the request's trace, or a fresh one when there is no request.
    func traceID(_ token: UInt64) -> String
}

/// What is left of a request once it was answered (its buffer may be reused by then).
public struct RequestSummary {
    public let method: HTTPMethod
    public let routeIndex: Int      // -1: no route matched
    public let route: String
    public let startedAt: UInt64    // monotonic ns, when the request was dispatched
}
