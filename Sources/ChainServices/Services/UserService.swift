import HTTP1
import Postgres
import Reactor
import Tracing
import Metrics

/// user-service `POST /process`: validate, read (or create) the user, call order-service, and
/// answer with the whole chain's result. Each step continues in the previous one's callback.
/// With an `Idempotency-Key` the key is claimed first and every answer goes through `answer`,
/// which records it (200, 4xx) or releases the key (5xx) before it leaves.
struct UserProcess {
    let local: ServiceLoop
    let res: Responder
    let server: Span?
    let traceId: String
    /// When the answer must leave (the request's deadline); work ends `Budget.report` before.
    let answerBy: Instant
    var key: String? = nil
    var token: String? = nil
    /// This request inserted its user (so a 502/503 must undo it).
    var createdUser: Int64? = nil
    var parent: SpanContext? { server.map { local.tracer.context(of: $0) } }
    var workUntil: Instant { answerBy - Budget.report }

    static func run(_ local: ServiceLoop, _ req: Request, _ res: Responder) {
        let ctx = req.context
        var flow = UserProcess(local: local, res: res, server: ctx.span, traceId: ctx.traceID, answerBy: ctx.deadline)
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
        local.query(.claimKey, params, parent: parent, until: workUntil) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, .claimKey), traceId: traceId)
            case .success(let rows):
                switch Idempotency.claim(rows) {
                case .claimed(let token):
                    local.countIdempotency("claimed")
                    var flow = self
                    flow.token = token
                    flow.validate(body)
                case .replay(let status, let stored):
                    local.countIdempotency("replayed")
                    if let server { local.tracer.setAttribute(server, "chain.idempotency.replayed", .bool(true)) }
                    res.respond(status: status, body: Array(stored.utf8))
                case .mismatch:
                    local.countIdempotency("mismatch")
                    res.fail(Idempotency.mismatch, traceId: traceId)
                case .inFlight:
                    local.countIdempotency("in_flight")
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
            return local.query(.deleteUser, [.int(id)], parent: parent, until: nil) { result in
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
        local.query(replayable ? .finishKey : .releaseKey, params, parent: parent, until: nil) { _ in
            res.respond(status: status, body: body)
        }
    }

    private func fail(_ e: ErrorBody) { answer(UInt16(e.httpStatus), e.json(traceId: traceId)) }

    private func validate(_ body: UnsafeRawBufferPointer) {
        let span = local.tracer.start("validate_user", kind: .internal, parent: parent)
        switch ProcessRequest.parse(body) {
        case .failure(let e):
            local.tracer.recordError(span, type: "ValidationError", message: e.message)
            local.tracer.end(span)
            fail(e)
        case .success(let p):
            local.tracer.setAttribute(span, "user.id", .int(p.userId))
            local.tracer.end(span)
            readUser(p)
        }
    }

    private func readUser(_ p: ProcessRequest) {
        local.query(.selectUser, [.int(p.userId)], parent: parent, until: workUntil) { result in
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
        local.query(.insertUser, [.int(p.userId), .text(name), .text(email)], parent: parent, until: workUntil) { result in
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
            local.tracer.setAttribute(server, "user.id", .int(user.id))
            local.tracer.setAttribute(server, "user.tier", .literal(user.tier.literal))
        }
        let body = encodeOrderServiceRequest(user: user, action: action)
        guard let next = local.next else { return fail(ErrorBody(.unavailable, "no next service is configured")) }
        next.call(body: body, parent: parent, tracer: local.tracer, until: workUntil, token: token) { result in
            if let e = upstreamError(result) { return fail(e) }
            guard case .response(let r) = result, let reply = try? ChainBody.decode(r.body),
                  let order = reply.order, let audit = reply.audit else {
                // A 200 means order-service committed: an unreadable one leaves the outcome unknown.
                return fail(ErrorBody(.upstreamTimeout, "order-service answered 200 with an unexpected body; the outcome is unknown"))
            }
            if let server {
                local.tracer.setAttribute(server, "order.id", .int(order.id))
                local.tracer.setAttribute(server, "audit.id", .int(audit.id))
            }
            answer(200, encodeProcessResponse(traceId: traceId, user: user, order: order, audit: audit))
        }
    }
}
