import HTTP1
import Metrics
import Reactor
import Tracing

/// The client of one loop to the next service of the chain, with the metric handles of the
/// calls it makes.
final class NextService {
    let client: HTTPClient
    let port: Int
    private let service: ServiceName
    private let metrics: ServiceMetrics?
    private var durationHandles: [Int: HistogramHandle] = [:]   // by status, 0: no answer

    init(client: HTTPClient, port: Int, service: ServiceName, metrics: ServiceMetrics?) {
        self.client = client
        self.port = port
        self.service = service
        self.metrics = metrics
    }

    /// POST /process inside a CLIENT span that carries the trace context (`HTTPClient.send(_:
    /// traced:)`), recording `http_client_request_duration_seconds`. The call ends at `until`;
    /// the callee is told to answer `Budget.report` before (`X-Chain-Deadline-Ms`) and gets the
    /// key's token as its `Idempotency-Key`. With too little time left nothing is sent (503).
    func call(body: [UInt8], parent: SpanContext?, tracer: Tracer, until: Instant, token: String?,
              _ done: @escaping (ClientResult) -> Void) {
        let now = client.loop.now
        guard until > now + Budget.report * 2 else { return done(.failure(.overloaded)) }
        var req = ClientRequest(method: .POST, path: "/process", contentType: "application/json", body: body)
        req.headers.add("X-Chain-Deadline-Ms", String((until - now - Budget.report).milliseconds))
        if let token { req.headers.add("Idempotency-Key", token) }
        let started = Instant.now()
        client.send(req, deadline: until, traced: TracedCall(tracer: tracer, parent: parent, serverPort: port)) { [self] result in
            var status = 0
            if case .response(let r) = result { status = Int(r.status) }
            durationHandle(status)?.observe((Instant.now() - started).seconds)
            done(result)
        }
    }

    private func durationHandle(_ status: Int) -> HistogramHandle? {
        guard let metrics else { return nil }
        if let h = durationHandles[status] { return h }
        let h = metrics.clientDuration.handle(loop: client.loop.index, [service.rawValue, client.hostHeader, status == 0 ? "error" : String(status)])
        durationHandles[status] = h
        return h
    }
}
