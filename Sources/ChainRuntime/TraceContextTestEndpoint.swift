import ChainServices
import HTTP1
import Reactor
import Tracing

/// `POST /test` for the official w3c/trace-context test harness (enabled by
/// `--enable-test-endpoints`): the body is `[{"url": ..., "arguments": ...}, ...]`; each
/// `arguments` value is POSTed to its `url` as a traced call (`HTTPClient.send(_:traced:)`,
/// the one the services use), and the response comes once every call finished.
final class TraceContextTestEndpoint {
    private let tracer: Tracer
    private let loop: EventLoop
    private var clients: [String: HTTPClient] = [:]

    init(tracer: Tracer, loop: EventLoop) {
        self.tracer = tracer
        self.loop = loop
    }

    struct Call { var url: String; var body: [UInt8] = [] }

    func handle(_ req: Request, _ res: Responder) {
        guard let calls = Self.calls(in: req.body) else {
            return res.respond(status: 400, body: ErrorBody(.invalidJSON, "expected an array of {url, arguments}").json(traceId: req.context.traceID))
        }
        var pending = calls.count
        if pending == 0 { return res.respond(status: 200, body: "{}") }
        for call in calls {
            send(call, parent: req.context.traceParent) {
                pending -= 1
                if pending == 0 { res.respond(status: 200, body: "{}") }
            }
        }
    }

    /// The calls of an `[{"url": ..., "arguments": ...}, ...]` body, in order; nil when it is not
    /// an array of objects. An object with neither member is no call.
    static func calls(in body: UnsafeRawBufferPointer) -> [Call]? {
        guard case .array(let items)? = try? JSONReader.parse(body) else { return nil }
        var calls: [Call] = []
        for item in items {
            guard item.isObject else { return nil }
            let url = item["url"], arguments = item["arguments"]
            if url == nil && arguments == nil { continue }
            var call = Call(url: url?.stringValue ?? "")
            if let arguments {
                var w = JSONWriter()
                w.value(arguments)
                call.body = w.bytes
            }
            calls.append(call)
        }
        return calls
    }

    private func send(_ call: Call, parent: SpanContext?, _ done: @escaping () -> Void) {
        guard let url = HTTPURL(call.url), let client = client(url) else { return done() }
        let request = ClientRequest(method: .POST, path: url.requestTarget, contentType: "application/json", body: call.body)
        client.send(request, deadline: loop.now + .seconds(5), traced: TracedCall(tracer: tracer, parent: parent, serverPort: url.port)) { _ in
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
