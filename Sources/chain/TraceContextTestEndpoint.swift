import HTTP1
import Reactor
import Tracing
import Metrics
import OTLPExport

/// `POST /test` for the official w3c/trace-context test harness (enabled by
/// `--enable-test-endpoints`): the body is `[{"url": ..., "arguments": ...}, ...]`; each
/// `arguments` value is POSTed to its `url`, carrying this request's trace context on a CLIENT
/// span, and the response comes once every call finished.
final class TraceContextTestEndpoint {
    private let tracing: ServerTracing
    private let loop: EventLoop
    private var clients: [String: HTTPClient] = [:]

    init(tracing: ServerTracing, loop: EventLoop) {
        self.tracing = tracing
        self.loop = loop
    }

    struct Call { var url = ""; var body: [UInt8] = [] }

    func handle(_ req: Request, _ res: Responder) {
        var calls: [Int: Call] = [:]
        let ok = JSONSkim.eachObjectMember(req.body) { i, key, range in
            let raw = Array(UnsafeRawBufferPointer(rebasing: req.body[range]))
            if key == "url", raw.count >= 2, raw.first == UInt8(ascii: "\""), raw.last == UInt8(ascii: "\"") {
                calls[i, default: Call()].url = String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
            }
            if key == "arguments" { calls[i, default: Call()].body = raw }
        }
        guard ok else { return res.respond(status: 400, body: "{\"error\":{\"code\":\"invalid_json\",\"message\":\"expected an array of {url, arguments}\"}}") }
        let parent = tracing.span(for: req)?.context
        var pending = calls.count
        if pending == 0 { return res.respond(status: 200, body: "{}") }
        for (_, call) in calls.sorted(by: { $0.key < $1.key }) {
            send(call, parent: parent) {
                pending -= 1
                if pending == 0 { res.respond(status: 200, body: "{}") }
            }
        }
    }

    private func send(_ call: Call, parent: SpanContext?, _ done: @escaping () -> Void) {
        guard let url = HTTPURL(call.url), let client = client(url) else { return done() }
        let span = tracing.tracer.start("POST", kind: .client, parent: parent)
        var request = ClientRequest(method: .POST, path: url.requestTarget, contentType: "application/json", body: call.body)
        request.headers.add("traceparent", span.context.traceParent)
        if !span.context.traceState.isEmpty { request.headers.add("tracestate", span.context.traceState.headerValue) }
        client.send(request, deadline: loop.now &+ 5_000_000_000) { [tracing] result in
            if case .response(let r) = result {
                tracing.tracer.setAttribute(span, "http.response.status_code", .int(Int64(r.status)))
            }
            tracing.tracer.end(span)
            done()
        }
    }

    /// A client per upstream on this loop. Test-only: resolves the host on the loop, which is
    /// fine for the harness's numeric or localhost URLs but not for production paths.
    private func client(_ url: HTTPURL) -> HTTPClient? {
        let key = url.hostHeader
        if let c = clients[key] { return c }
        guard let addr = try? SocketAddress.resolve(host: url.host, port: url.port) else { return nil }
        let c = HTTPClient(loop: loop, address: addr, hostHeader: key)
        clients[key] = c
        return c
    }
}
