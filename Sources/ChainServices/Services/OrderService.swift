import HTTP1
import Postgres
import Reactor
import Tracing

/// order-service `POST /process`: price the order, store it, call audit-service, answer with
/// the order and the audit record. With an `Idempotency-Key` (user-service's token) the order is
/// written once per token; a definite failure of audit-service undoes the order this request
/// wrote, so a 502/503 still means nothing was committed.
struct OrderProcess {
    let local: ServiceLoop
    let res: Responder
    let server: Span?
    let traceId: String
    /// When the answer must leave (the caller's deadline); work ends `Budget.report` before.
    let answerBy: Instant
    let token: String?
    var parent: SpanContext? { server.map { local.tracer.context(of: $0) } }
    var workUntil: Instant { answerBy - Budget.report }

    static func run(_ local: ServiceLoop, _ req: Request, _ res: Responder) {
        let ctx = req.context
        let key = Idempotency.key(req)
        if case .invalid = key { return res.fail(Idempotency.invalidKey, traceId: ctx.traceID) }
        let flow = OrderProcess(local: local, res: res, server: ctx.span, traceId: ctx.traceID,
                                answerBy: ctx.deadline, token: key.value)
        guard let body = try? ChainBody.decode(req.body), body.isObject else {
            return res.fail(ErrorBody(.invalidJSON, "request body must be a JSON object"), traceId: flow.traceId)
        }
        guard let user = body.user, let action = body.action, ProcessRequest.isValidAction(action) else {
            return res.fail(ErrorBody(.invalidRequest, "user and action are required"), traceId: flow.traceId)
        }
        flow.price(user, action)
    }

    private func price(_ user: User, _ action: String) {
        let span = local.tracer.start("calculate_pricing", kind: .internal, parent: parent)
        let priced = Pricing.price(userId: user.id, tier: user.tier)
        for item in priced.items {
            local.tracer.addEvent(span, "item", SpanAttribute("sku", .text(InlineText(item.sku))),
                                  SpanAttribute("quantity", .int(item.quantity)),
                                  SpanAttribute("unit_price_cents", .int(item.unitPriceCents)))
        }
        local.tracer.setAttribute(span, "user.id", .int(user.id))
        local.tracer.setAttribute(span, "user.tier", .literal(user.tier.literal))
        local.tracer.setAttribute(span, "order.item_count", .int(Int64(priced.items.count)))
        local.tracer.setAttribute(span, "order.total_cents", .int(priced.totalCents))
        local.tracer.end(span)
        store(user, action, priced)
    }

    private func store(_ user: User, _ action: String, _ p: PricedOrder) {
        let items = String(decoding: encodeItems(p.items), as: UTF8.self)
        var params: [PGParam] = [.int(user.id), .text(action), .text(items), .int(p.subtotalCents), .int(p.discountCents),
                                 .int(p.taxCents), .int(p.totalCents), .text(traceId)]
        if let token { params.append(.text(token)) }
        let sql: SQL = token == nil ? .insertOrder : .insertOrderKeyed
        local.query(sql, params, parent: parent, until: workUntil) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, sql), traceId: traceId)
            case .success(let rows) where rows.count == 0:
                res.fail(Idempotency.inFlight, traceId: traceId)   // the same token's order is being written now
            case .success(let rows):
                let order = Order(id: rows.int(0, 0), pricing: p)
                let inserted = token == nil || rows.string(0, 1) == "t"
                if let server { local.tracer.setAttribute(server, "order.id", .int(order.id)) }
                callAudit(user, action, order, inserted: inserted)
            }
        }
    }

    private func callAudit(_ user: User, _ action: String, _ order: Order, inserted: Bool) {
        let body = encodeAuditServiceRequest(user: user, order: order, action: action)
        guard let next = local.next else { return res.fail(ErrorBody(.unavailable, "no next service is configured"), traceId: traceId) }
        next.call(body: body, parent: parent, tracer: local.tracer, until: workUntil - Budget.undo, token: token) { result in
            if let e = upstreamError(result) {
                // 504: audit-service may have committed, the order stays. Else it committed
                // nothing: undo this request's order (one a previous attempt wrote is not ours).
                if e.code == .upstreamTimeout || !inserted { return res.fail(e, traceId: traceId) }
                return undo(order, e)
            }
            guard case .response(let r) = result, let audit = (try? ChainBody.decode(r.body))?.audit else {
                return res.fail(ErrorBody(.upstreamTimeout, "audit-service answered 200 with an unexpected body; the outcome is unknown"),
                                traceId: traceId)
            }
            var w = JSONWriter(capacity: 384)
            w.beginObject()
            w.key("order"); order.write(to: &w)
            w.key("audit"); audit.write(to: &w)
            w.endObject()
            res.respond(status: 200, body: w.bytes)
        }
    }

    /// Deletes the order this request wrote; answers `e` once that is committed, else 504.
    private func undo(_ order: Order, _ e: ErrorBody) {
        local.query(.deleteOrder, [.int(order.id)], parent: parent, until: answerBy) { result in
            if case .success = result { return res.fail(e, traceId: traceId) }
            res.fail(ErrorBody(.upstreamTimeout, "audit-service failed and the stored order could not be removed in time; the outcome is unknown"),
                     traceId: traceId)
        }
    }
}

extension Tier {
    var literal: StaticString {
        switch self {
        case .standard: return "standard"
        case .silver: return "silver"
        case .gold: return "gold"
        }
    }
}
