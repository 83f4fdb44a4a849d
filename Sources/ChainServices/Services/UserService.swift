import HTTP1
import Postgres
import Reactor
import Tracing
import Metrics
import OTLPExport

/// user-service `POST /process`: validate, read (or create) the user, call order-service, and
/// answer with the whole chain's result. Each step continues in the previous one's callback.
/// With an `Idempotency-Key` the key is claimed first and every answer goes through `answer`,
/// which records it (200, 4xx) or releases the key (5xx) before it leaves.
struct UserProcess {
    let L: ServiceLoop
    let res: Responder
    let server: Span?
    let traceId: String
    /// When the answer must leave; work ends `Budget.report` before.
    let answerBy: UInt64
    var key: String? = nil
    var token: String? = nil
    /// This request inserted its user (so a 502/503 must undo it).
    var createdUser: Int64? = nil
    var parent: SpanContext? { server?.context }
    var workUntil: UInt64 { answerBy &- Budget.report }

    static func run(_ L: ServiceLoop, _ req: Request, _ res: Responder) {
        let server = L.tracer.span(token: req.observation)
        var flow = UserProcess(L: L, res: res, server: server, traceId: server?.context.traceID.hexString ?? "",
                               answerBy: Budget.answerBy(req, now: L.loop.now))
        switch Idempotency.key(req) {
        case .none: flow.validate(req.body)
        case .invalid: res.fail(Idempotency.invalidKey, traceId: flow.traceId)
        case .key(let k):
            flow.key = k
            flow.claim(k, req.body)
        }
    }

    /// Claims the key, or answers from it: the stored outcome, 422 or 409. The body's views stay
    /// valid until the answer (Request's invariant), so validation can run in the callback.
    private func claim(_ key: String, _ body: UnsafeRawBufferPointer) {
        let params: [PGParam] = [.text(key), .text(Idempotency.bodyHash(body)), .text(traceId)]
        L.query(.claimKey, params, parent: parent, budget: Budget.statement(until: workUntil, now: L.loop.now)) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, .claimKey), traceId: traceId)
            case .success(let rows):
                switch Idempotency.claim(rows) {
                case .claimed(let token):
                    L.countIdempotency("claimed")
                    var flow = self
                    flow.token = token
                    flow.validate(body)
                case .replay(let status, let stored):
                    L.countIdempotency("replayed")
                    if let server { L.tracer.setAttribute(server, "chain.idempotency.replayed", .bool(true)) }
                    res.respond(status: status, body: Array(stored.utf8))
                case .mismatch:
                    L.countIdempotency("mismatch")
                    res.fail(Idempotency.mismatch, traceId: traceId)
                case .inFlight:
                    L.countIdempotency("in_flight")
                    res.fail(Idempotency.inFlight, traceId: traceId)
                }
            }
        }
    }

    /// Every answer after the claim: a 502/503 first undoes this request's own user creation
    /// (else it becomes a 504: something stayed committed); with a key, the outcome is recorded
    /// (200, 4xx) or the key released (5xx) before the answer leaves, so a retry that follows the
    /// answer sees it.
    private func answer(_ status: UInt16, _ body: [UInt8]) {
        if (status == 502 || status == 503), let id = createdUser {
            var flow = self
            flow.createdUser = nil
            return L.query(.deleteUser, [.int(id)], parent: parent, budget: Budget.database) { result in
                if case .success = result { return flow.answer(status, body) }
                let e = ErrorBody(.upstreamTimeout, "the chain failed after this request created user \(id), which could not be removed")
                flow.answer(504, e.json(traceId: traceId))
            }
        }
        guard let key, let token else { return res.respond(status: status, body: body) }
        let replayable = Idempotency.isReplayable(status)
        let params: [PGParam] = replayable
            ? [.text(key), .text(token), .text(traceId), .int(Int64(status)), .text(String(decoding: body, as: UTF8.self))]
            : [.text(key), .text(token), .text(traceId)]
        // Its own budget: the answer is known, recording it must not turn it into a timeout.
        L.query(replayable ? .finishKey : .releaseKey, params, parent: parent, budget: Budget.database) { _ in
            res.respond(status: status, body: body)
        }
    }

    private func fail(_ e: ErrorBody) { answer(UInt16(e.httpStatus), e.json(traceId: traceId)) }

    private func validate(_ body: UnsafeRawBufferPointer) {
        let span = L.tracer.start("validate_user", kind: .internal, parent: parent)
        switch ProcessRequest.parse(body) {
        case .failure(let e):
            L.tracer.recordError(span, type: "ValidationError", message: e.message)
            L.tracer.end(span)
            fail(e)
        case .success(let p):
            L.tracer.setAttribute(span, "user.id", .int(p.userId))
            L.tracer.end(span)
            readUser(p)
        }
    }

    private func readUser(_ p: ProcessRequest) {
        L.query(.selectUser, [.int(p.userId)], parent: parent, budget: Budget.statement(until: workUntil, now: L.loop.now)) { result in
            switch result {
            case .failure(let e): fail(databaseError(e, .selectUser))
            case .success(let rows) where rows.count == 1: callOrder(Self.user(rows), p.action)
            case .success:
                guard p.canCreateUser, let name = p.userName, let email = p.userEmail else {
                    return fail(ErrorBody(.userNotFound, "user \(p.userId) not found"))
                }
                createUser(p, name, email)
            }
        }
    }

    private func createUser(_ p: ProcessRequest, _ name: String, _ email: String) {
        L.query(.insertUser, [.int(p.userId), .text(name), .text(email)], parent: parent,
                budget: Budget.statement(until: workUntil, now: L.loop.now)) { result in
            switch result {
            case .failure(let e): fail(databaseError(e, .insertUser))
            case .success(let rows):
                var flow = self
                if rows.string(0, 4) == "t" { flow.createdUser = p.userId }
                flow.callOrder(Self.user(rows), p.action)
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
        NextService.call(L, body: body, parent: parent, until: workUntil, token: token) { result in
            if let e = upstreamError(result) { return fail(e) }
            guard case .response(let r) = result, let v = try? JSONReader.parse(r.body),
                  let o = v["order"], let order = Order(json: o), let a = v["audit"], let audit = AuditRecord(json: a) else {
                // A 200 means order-service committed: an unreadable one leaves the outcome unknown.
                return fail(ErrorBody(.upstreamTimeout, "order-service answered 200 with an unexpected body; the outcome is unknown"))
            }
            if let server {
                L.tracer.setAttribute(server, "order.id", .int(order.id))
                L.tracer.setAttribute(server, "audit.id", .int(audit.id))
            }
            answer(200, encodeProcessResponse(traceId: traceId, user: user, order: order, audit: audit))
        }
    }
}

enum NextService {
    /// POST /process to the next service inside a CLIENT span that carries the trace context,
    /// and records `http_client_request_duration_seconds`. The call ends at `until`; the callee
    /// is told to answer `Budget.report` before (`X-Chain-Deadline-Ms`), and gets the key's
    /// token as its `Idempotency-Key`. With too little time left nothing is sent (503).
    static func call(_ L: ServiceLoop, body: [UInt8], parent: SpanContext?, until: UInt64, token: String?,
                     _ done: @escaping (ClientResult) -> Void) {
        guard let client = L.next else { return done(.failure(.connectFailed(0))) }
        let now = L.loop.now
        guard until > now &+ 2 * Budget.report else { return done(.failure(.overloaded)) }
        let span = L.tracer.start("POST", kind: .client, parent: parent)
        L.tracer.setAttribute(span, "http.request.method", .literal("POST"))
        L.tracer.setAttribute(span, "server.address", .text(InlineText(client.hostHeader)))
        L.tracer.setAttribute(span, "server.port", .int(Int64(L.nextPort)))
        L.tracer.setAttribute(span, "url.path", .literal("/process"))
        var req = ClientRequest(method: .POST, path: "/process", contentType: "application/json", body: body)
        req.headers.add("traceparent", span.context.traceParent)
        if !span.context.traceState.isEmpty { req.headers.add("tracestate", span.context.traceState.headerValue) }
        req.headers.add("X-Chain-Deadline-Ms", String((until &- now &- Budget.report) / 1_000_000))
        if let token { req.headers.add("Idempotency-Key", token) }
        let started = monotonicNanos()
        client.send(req, deadline: until) { result in
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
