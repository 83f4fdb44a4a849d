import Reactor
import Tracing

/// How a client call is traced: a CLIENT span under `parent`, with the HTTP semantic
/// conventions' attributes, whose context travels in `traceparent` (and `tracestate`).
public struct TracedCall {
    public let tracer: Tracer
    public let parent: SpanContext?
    /// The callee's port, for `server.port` (the host is the client's `hostHeader`).
    public let serverPort: Int

    public init(tracer: Tracer, parent: SpanContext?, serverPort: Int) {
        self.tracer = tracer
        self.parent = parent
        self.serverPort = serverPort
    }
}

extension HTTPClient {
    /// `send`, inside a CLIENT span that carries the trace context to the callee: the one way a
    /// call leaves a traced request, so every hop's span looks the same.
    public func send(_ request: ClientRequest, deadline: Instant, traced: TracedCall,
                     completion: @escaping ClientCompletion) {
        let tracer = traced.tracer
        let span = tracer.start(request.method.name, kind: .client, parent: traced.parent)
        tracer.setAttribute(span, "http.request.method", .literal(request.method.name))
        tracer.setAttribute(span, "server.address", .text(InlineText(hostHeader)))
        tracer.setAttribute(span, "server.port", .int(Int64(traced.serverPort)))
        tracer.setAttribute(span, "url.path", .text(InlineText(request.path)))
        var request = request
        let context = tracer.context(of: span)
        request.headers.add("traceparent", context.traceParent)
        if !context.traceState.isEmpty { request.headers.add("tracestate", context.traceState.headerValue) }
        send(request, deadline: deadline) { result in
            switch result {
            case .response(let r):
                tracer.setAttribute(span, "http.response.status_code", .int(Int64(r.status)))
                if r.status >= 500 { tracer.recordError(span, type: "HTTPError", message: "HTTP \(r.status)") }
            case .failure(let e):
                tracer.recordError(span, type: "HTTPClientError", message: e.description)
            }
            tracer.end(span)
            completion(result)
        }
    }
}
