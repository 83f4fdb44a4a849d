import Reactor
import Tracing

/// The tracing of one loop's HTTP server: a SERVER span per request, continuing the caller's
/// trace from `traceparent`/`tracestate`, with the HTTP semantic-convention attributes; and a
/// hook when a request ends (the composition records the request-duration metric there).
public final class ServerTracing {
    public let tracer: Tracer
    let serverPort: Int
    /// Runs after each request with its status, its duration, its span and the wall-clock time
    /// the span ends at (nanoseconds; 0 when the span does not record). The span is nil only
    /// when the tracer had no slot left at all for it. Every request is measured, with or
    /// without a span: the requests that find the span table full are the overload traffic a
    /// latency metric must not miss.
    public var onRequestEnded: ((RequestSummary, UInt16, TimeAmount, Span?, UInt64) -> Void)?
    /// Per (route, method), made once each: the span name "METHOD /route", and the attributes
    /// that are the same for every request there (method, route, port), encoded. Indexed by
    /// `slot(_:)`, grown as routes are first seen (a dictionary cost a hash a request). Read
    /// without a retain (it cost a retain and a release a request): `routeSpansKept` keeps
    /// each alive as long as this server, and none is ever replaced.
    private var routeSpans: [Unmanaged<RouteSpan>?] = []
    private var routeSpansKept: [RouteSpan] = []

    /// A class, so reading one out of `routeSpans` copies no struct: a tuple or struct holding
    /// the encoded attributes' array was copied through the runtime's generic value witnesses.
    private final class RouteSpan {
        let name: InlineText
        let attributes: EncodedAttributes
        init(name: InlineText, attributes: EncodedAttributes) {
            self.name = name
            self.attributes = attributes
        }
    }

    public init(tracer: Tracer, serverPort: Int) {
        self.tracer = tracer
        self.serverPort = serverPort
    }

    func begin(_ r: Request) -> Span {
        let (traceparent, tracestate) = r.traceContextHeaders()
        let parent = TraceParent.extract(onlyTraceparent: traceparent, tracestate: tracestate).parent
        // The span starts when its loop woke up with the request's bytes, as its duration
        // metric does (one clock reading for all the requests of an iteration).
        let span = tracer.start("HTTP", kind: .server, parent: parent, at: tracer.isEnabled ? r.context.loop.wallNow : 0)
        guard span.isRecording else { return span }
        routeSpan(r)._withUnsafeGuaranteedRef { route in
            tracer.setName(span, route.name, attributes: route.attributes)
        }
        tracer.setAttribute(span, "url.path", utf8: r.path)
        return span
    }

    /// The trace id for an error body the server writes itself: the request's, or a fresh one
    /// when the request never got as far as a span (a malformed head).
    func traceID(_ span: Span?) -> String {
        (span?.traceID ?? tracer.freshTraceID()).hexString
    }

    func end(_ span: Span?, _ summary: RequestSummary, status: UInt16, at now: Instant) {
        // One reading of the wall clock ends the span and stamps its exemplar; a span that does
        // not record needs none.
        let wall = span?.isRecording == true ? wallNanos() : 0
        if let span {
            tracer.setAttribute(span, "http.response.status_code", .int(Int64(status)))
            if status >= 500 {
                tracer.recordError(span, type: "HTTPServerError", message: "HTTP \(status)")
            }
        }
        onRequestEnded?(summary, status, now - summary.receivedAt, span, wall)
        if let span { tracer.end(span, at: wall) }
    }

    /// The span name per the HTTP conventions ("{method} {route}", or the method alone), and
    /// the attributes every request of `r`'s route and method has.
    private func routeSpan(_ r: Request) -> Unmanaged<RouteSpan> {
        let i = Self.slot(r.routeIndex, r.method)
        if i < routeSpans.count, let cached = routeSpans[i] { return cached }
        let m = r.method.name
        let name = InlineText(r.route.isEmpty ? "\(m)" : "\(m) \(r.route)")
        var attributes = [SpanAttribute("http.request.method", .literal(m))]
        if !r.route.isEmpty { attributes.append(SpanAttribute("http.route", .text(InlineText(r.route)))) }
        attributes.append(SpanAttribute("server.port", .int(Int64(serverPort))))
        let made = RouteSpan(name: name, attributes: EncodedAttributes(attributes))
        if i >= routeSpans.count { routeSpans += repeatElement(nil, count: i + 1 - routeSpans.count) }
        routeSpansKept.append(made)
        routeSpans[i] = Unmanaged.passUnretained(made)
        return Unmanaged.passUnretained(made)
    }

    /// A dense index per (route, method): routes from -1 (none matched) up, 16 methods each.
    static func slot(_ routeIndex: Int, _ method: HTTPMethod) -> Int {
        (routeIndex + 1) << 4 | Int(method.rawValue)
    }
}

extension Request {
    /// The trace context's headers in one pass, as views: the `traceparent` value when there is
    /// exactly one (two are ambiguous, so they count as none), and every `tracestate` value (a
    /// list may be split over several fields; the array stays unallocated when there is none).
    func traceContextHeaders() -> (traceparent: UnsafeRawBufferPointer?, tracestate: [UnsafeRawBufferPointer]) {
        var parent: UnsafeRawBufferPointer?, parents = 0
        var states: [UnsafeRawBufferPointer] = []
        for i in 0..<headers.count {
            let f = headers[i]
            if f.name.equalsIgnoringCase("traceparent", in: raw) {
                parents += 1
                parent = bytes(f.value)
            } else if f.name.equalsIgnoringCase("tracestate", in: raw) {
                states.append(bytes(f.value))
            }
        }
        return (parents == 1 ? parent : nil, states)
    }
}
