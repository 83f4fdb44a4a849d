import Reactor
import Tracing

/// The tracing of one loop's HTTP server: a SERVER span per request, continuing the caller's
/// trace from `traceparent`/`tracestate`, with the HTTP semantic-convention attributes; and a
/// hook when a request ends (the composition records the request-duration metric there).
public final class ServerTracing {
    public let tracer: Tracer
    let serverPort: Int
    /// Runs after each request with its duration; the span is nil only when the tracer had no
    /// slot left at all for it. Every request is measured, with or without a span: the requests
    /// that find the span table full are the overload traffic a latency metric must not miss.
    public var onRequestEnded: ((RequestSummary, UInt16, TimeAmount, Span?) -> Void)?
    private var names: [Int: InlineText] = [:]   // "METHOD /route" per (route, method), made once

    public init(tracer: Tracer, serverPort: Int) {
        self.tracer = tracer
        self.serverPort = serverPort
    }

    func begin(_ r: Request) -> Span {
        let parent = TraceParent.extract(traceparent: r.headerValues("traceparent"),
                                         tracestate: r.headerValues("tracestate")).parent
        let span = tracer.start("HTTP", kind: .server, parent: parent)
        guard span.isRecording else { return span }
        tracer.setName(span, name(r))
        tracer.setAttribute(span, "http.request.method", .literal(r.method.name))
        tracer.setAttribute(span, "url.path", .text(InlineText(r.path)))
        if !r.route.isEmpty { tracer.setAttribute(span, "http.route", .text(InlineText(r.route))) }
        tracer.setAttribute(span, "server.port", .int(Int64(serverPort)))
        return span
    }

    /// The trace id for an error body the server writes itself: the request's, or a fresh one
    /// when the request never got as far as a span (a malformed head).
    func traceID(_ span: Span?) -> String {
        (span?.context.traceID ?? tracer.freshTraceID()).hexString
    }

    func end(_ span: Span?, _ summary: RequestSummary, status: UInt16, at now: Instant) {
        if let span {
            tracer.setAttribute(span, "http.response.status_code", .int(Int64(status)))
            if status >= 500 {
                tracer.recordError(span, type: "HTTPServerError", message: "HTTP \(status)")
            }
        }
        onRequestEnded?(summary, status, now - summary.receivedAt, span)
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
