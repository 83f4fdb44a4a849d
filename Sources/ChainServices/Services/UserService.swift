import HTTP1
import Postgres
import Reactor
import Telemetry

/// user-service `POST /process`: validate, read (or create) the user, call order-service, and
/// answer with the whole chain's result. Each step continues in the previous one's callback.
struct UserProcess {
    let L: ServiceLoop
    let res: Responder
    let server: Telemetry.Span?
    let traceId: String
    var parent: SpanContext? { server?.context }

    static func run(_ L: ServiceLoop, _ req: Request, _ res: Responder) {
        let server = L.tracer.span(token: req.observation)
        let flow = UserProcess(L: L, res: res, server: server, traceId: server?.context.traceID.hexString ?? "")
        flow.validate(req.body)
    }

    private func validate(_ body: UnsafeRawBufferPointer) {
        let span = L.tracer.start("validate_user", kind: .internal, parent: parent)
        switch ProcessRequest.parse(body) {
        case .failure(let e):
            L.tracer.recordError(span, type: "ValidationError", message: e.message)
            L.tracer.end(span)
            res.fail(e, traceId: traceId)
        case .success(let p):
            L.tracer.setAttribute(span, "user.id", .int(p.userId))
            L.tracer.end(span)
            readUser(p)
        }
    }

    private func readUser(_ p: ProcessRequest) {
        L.query(.selectUser, [.int(p.userId)], parent: parent, budget: Budget.database) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, .selectUser), traceId: traceId)
            case .success(let rows) where rows.count == 1: callOrder(Self.user(rows), p.action)
            case .success:
                guard p.canCreateUser, let name = p.userName, let email = p.userEmail else {
                    return res.fail(ErrorBody(.userNotFound, "user \(p.userId) not found"), traceId: traceId)
                }
                createUser(p, name, email)
            }
        }
    }

    private func createUser(_ p: ProcessRequest, _ name: String, _ email: String) {
        L.query(.insertUser, [.int(p.userId), .text(name), .text(email)], parent: parent, budget: Budget.database) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, .insertUser), traceId: traceId)
            case .success(let rows): callOrder(Self.user(rows), p.action)
            }
        }
    }

    static func user(_ rows: PGRows, row i: Int = 0) -> User {
        User(id: rows.int(i, 0), name: rows.string(i, 1), email: rows.string(i, 2),
             tier: Tier(rawValue: rows.string(i, 3)) ?? .standard)
    }

    private func callOrder(_ user: User, _ action: String) {
        if let server {
            L.tracer.setAttribute(server, "user.id", .int(user.id))
            L.tracer.setAttribute(server, "user.tier", .literal(user.tier.literal))
        }
        let body = encodeOrderServiceRequest(user: user, action: action)
        NextService.call(L, body: body, parent: parent, budget: Budget.orderCall) { result in
            if let e = upstreamError(result) { return res.fail(e, traceId: traceId) }
            guard case .response(let r) = result, let v = try? JSONReader.parse(r.body),
                  let o = v["order"], let order = Order(json: o), let a = v["audit"], let audit = AuditRecord(json: a) else {
                return res.fail(ErrorBody(.upstreamError, "order-service answered an unexpected body"), traceId: traceId)
            }
            if let server {
                L.tracer.setAttribute(server, "order.id", .int(order.id))
                L.tracer.setAttribute(server, "audit.id", .int(audit.id))
            }
            res.respond(status: 200, body: encodeProcessResponse(traceId: traceId, user: user, order: order, audit: audit))
        }
    }
}

/// Deadlines shrink along the chain, so an inner timeout is reported before an outer one.
enum Budget {
    static let database: UInt64 = 2_000_000_000
    static let orderCall: UInt64 = 8_000_000_000
    static let auditCall: UInt64 = 5_000_000_000
}

enum NextService {
    /// POST /process to the next service inside a CLIENT span that carries the trace context,
    /// and records `http_client_request_duration_seconds`.
    static func call(_ L: ServiceLoop, body: [UInt8], parent: SpanContext?, budget: UInt64,
                     _ done: @escaping (ClientResult) -> Void) {
        guard let client = L.next else { return done(.failure(.connectFailed(0))) }
        let span = L.tracer.start("POST", kind: .client, parent: parent)
        L.tracer.setAttribute(span, "http.request.method", .literal("POST"))
        L.tracer.setAttribute(span, "server.address", .text(InlineText(client.hostHeader)))
        L.tracer.setAttribute(span, "server.port", .int(Int64(L.nextPort)))
        L.tracer.setAttribute(span, "url.path", .literal("/process"))
        var req = ClientRequest(method: .POST, path: "/process", contentType: "application/json", body: body)
        req.headers.add("traceparent", span.context.traceParent)
        if !span.context.traceState.isEmpty { req.headers.add("tracestate", span.context.traceState.headerValue) }
        let started = monotonicNanos()
        client.send(req, deadline: L.loop.now &+ budget) { result in
            var status = 0
            switch result {
            case .response(let r):
                status = Int(r.status)
                L.tracer.setAttribute(span, "http.response.status_code", .int(Int64(r.status)))
                if r.status >= 500 { L.tracer.recordError(span, type: "HTTPError", message: "HTTP \(r.status)") }
            case .failure(let e):
                L.tracer.recordError(span, type: "HTTPClientError", message: e.description)
            }
            L.clientHandle(status: status)?.observe(Double(monotonicNanos() &- started) / 1e9)
            L.tracer.end(span)
            done(result)
        }
    }
}
