import Reactor
import Tracing

/// The telemetry of one loop's HTTP server: a SERVER span per request (continuing the caller's
/// trace from `traceparent`/`tracestate`) with the semantic-convention attributes, and the
/// request-duration metric when a recorder is set. Handlers reach their request's span with
/// `span(for:)`.
public final class ServerTracing: RequestObserver {
    public let tracer: Tracer
    let serverPort: Int
    /// Called after each request (the metrics layer records the duration histogram); the span is
    /// nil only when the tracer had no slot left at all for it.
    public var onRequestEnded: ((RequestSummary, UInt16, UInt64, Span?) -> Void)?
    private var names: [Int: InlineText] = [:]   // "METHOD /route" per (route, method), made once
    private var loopNow: () -> UInt64

    public init(tracer: Tracer, serverPort: Int, clock: @escaping () -> UInt64 = monotonicNanos) {
        self.tracer = tracer
        self.serverPort = serverPort
        loopNow = clock
    }

    public func span(for request: Request) -> Span? { tracer.span(token: request.observation) }

    public func requestBegan(_ r: Request) -> UInt64 {
        let parent = TraceParent.extract(traceparent: r.headerValues("traceparent"),
                                         tracestate: r.headerValues("tracestate")).parent
        let span = tracer.start("HTTP", kind: .server, parent: parent)
        guard span.isRecording else { return span.token }
        tracer.setName(span, name(r))
        tracer.setAttribute(span, "http.request.method", .literal(r.method.name))
        tracer.setAttribute(span, "url.path", .text(InlineText(r.path)))
        if !r.route.isEmpty { tracer.setAttribute(span, "http.route", .text(InlineText(r.route))) }
        tracer.setAttribute(span, "server.port", .int(Int64(serverPort)))
        return span.token
    }

    public func traceID(_ token: UInt64) -> String {
        if let span = tracer.span(token: token) { return span.context.traceID.hexString }
        return tracer.freshTraceID().hexString
    }

    /// Every request is measured, with or without a span: the requests that find the span
    /// table full are the overload traffic, the part the latency metric must not miss.
    public func requestEnded(_ token: UInt64, _ summary: RequestSummary, status: UInt16) {
        let span = tracer.span(token: token)
        if let span {
            tracer.setAttribute(span, "http.response.status_code", .int(Int64(status)))
            if status >= 500 {
                tracer.recordError(span, type: "HTTPServerError", message: "HTTP \(status)")
            }
        }
        onRequestEnded?(summary, status, loopNow() &- summary.startedAt, span)
        if let span { tracer.end(span) }
    }

    /// The span name per the HTTP conventions: "{method} {route}", or the method alone.
    private func name(_ r: Request) -> InlineText {
        let key = r.routeIndex << 8 | Int(r.method.rawValue)
        if let cached = names[key] { return cached }
        let m = r.method.name
        let text = InlineText(r.route.isEmpty ? "\(m)" : "\(m) \(r.route)")
        names[key] = text
        return text
    }
}

extension Request {
    /// Every value of a header (duplicates matter for trace context), as views.
    func headerValues(_ lowercaseName: StaticString) -> [UnsafeRawBufferPointer] {
        var out: [UnsafeRawBufferPointer] = []
        for i in 0..<headers.count {
            let f = headers[i]
            if f.name.equalsIgnoringCase(lowercaseName, in: raw) { out.append(bytes(f.value)) }
        }
        return out
    }
}
