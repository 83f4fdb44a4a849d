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
    /// "METHOD /route" per (route, method) and the route's text, made once each: indexed by
    /// `slot(_:)`, grown as routes are first seen (a dictionary cost a hash a request).
    private var names: [InlineText?] = []
    private var routes: [InlineText?] = []

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
        if !r.route.isEmpty { tracer.setAttribute(span, "http.route", .text(route(r))) }
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
        let i = Self.slot(r.routeIndex, r.method)
        if i < names.count, let cached = names[i] { return cached }
        let m = r.method.name
        let text = InlineText(r.route.isEmpty ? "\(m)" : "\(m) \(r.route)")
        if i >= names.count { names += repeatElement(nil, count: i + 1 - names.count) }
        names[i] = text
        return text
    }

    private func route(_ r: Request) -> InlineText {
        let i = r.routeIndex + 1
        if i < routes.count, let cached = routes[i] { return cached }
        let text = InlineText(r.route)
        if i >= routes.count { routes += repeatElement(nil, count: i + 1 - routes.count) }
        routes[i] = text
        return text
    }

    /// A dense index per (route, method): routes from -1 (none matched) up, 16 methods each.
    static func slot(_ routeIndex: Int, _ method: HTTPMethod) -> Int {
        (routeIndex + 1) << 4 | Int(method.rawValue)
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
