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

    struct Call { var url: String; var body: [UInt8] }

    func handle(_ req: Request, _ res: Responder) {
        guard let calls = Self.calls(req.body) else {
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

    /// The harness's calls, in order; nil when the body is not an array of objects.
    static func calls(_ body: UnsafeRawBufferPointer) -> [Call]? {
        guard let v = try? JSONReader.parse(body), case .array(let items) = v else { return nil }
        var calls: [Call] = []
        for item in items {
            guard item.isObject else { return nil }
            var w = JSONWriter(capacity: 256)
            if let args = item["arguments"] { w.value(args) }
            calls.append(Call(url: item["url"]?.stringValue ?? "", body: w.bytes))
        }
        return calls
    }

    private func send(_ call: Call, parent: SpanContext?, _ done: @escaping () -> Void) {
        guard let (host, port, path) = Self.split(call.url), let client = client(host, port) else { return done() }
        let request = ClientRequest(method: .POST, path: path, contentType: "application/json", body: call.body)
        client.send(request, deadline: loop.now + .seconds(5), traced: TracedCall(tracer: tracer, parent: parent, serverPort: port)) { _ in
            done()
        }
    }

    /// A client per upstream on this loop. Test-only: resolves the host on the loop, which is
    /// fine for the harness's numeric or localhost URLs but not for production paths.
    private func client(_ host: String, _ port: Int) -> HTTPClient? {
        let key = "\(host):\(port)"
        if let c = clients[key] { return c }
        guard let addr = try? SocketAddress.resolve(host: host, port: port) else { return nil }
        let c = HTTPClient(loop: loop, address: addr, hostHeader: key)
        clients[key] = c
        return c
    }

    static func split(_ url: String) -> (String, Int, String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        let parts = authority.split(separator: ":")
        guard let host = parts.first else { return nil }
        let port = parts.count > 1 ? Int(parts[1]) ?? 80 : 80
        return (String(host), port, path.isEmpty ? "/" : String(path))
    }
}
