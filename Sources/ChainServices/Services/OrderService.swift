import HTTP1
import Postgres
import Reactor
import Tracing
import Metrics
import OTLPExport

/// order-service `POST /process`: price the order, store it, call audit-service, answer with
/// the order and the audit record. With an `Idempotency-Key` (user-service's token) the order is
/// written once per token; a definite failure of audit-service undoes the order this request
/// wrote, so a 502/503 still means nothing was committed.
struct OrderProcess {
    let L: ServiceLoop
    let res: Responder
    let parent: SpanContext?
    let traceId: String
    let observation: UInt64
    let answerBy: UInt64
    let token: String?
    var workUntil: UInt64 { answerBy &- Budget.report }

    static func run(_ L: ServiceLoop, _ req: Request, _ res: Responder) {
        let parent = L.tracer.span(token: req.observation)?.context
        let traceId = parent?.traceID.hexString ?? ""
        let key = Idempotency.key(req)
        if case .invalid = key { return res.fail(Idempotency.invalidKey, traceId: traceId) }
        let token = key.value
        let flow = OrderProcess(L: L, res: res, parent: parent, traceId: traceId, observation: req.observation,
                                answerBy: Budget.answerBy(req, now: L.loop.now), token: token)
        guard let v = try? JSONReader.parse(req.body), v.isObject else {
            return res.fail(ErrorBody(.invalidJSON, "request body must be a JSON object"), traceId: flow.traceId)
        }
        guard let u = v["user"], let user = User(json: u), let action = v["action"]?.stringValue,
              ProcessRequest.isValidAction(action) else {
            return res.fail(ErrorBody(.invalidRequest, "user and action are required"), traceId: flow.traceId)
        }
        flow.price(user, action)
    }

    private func price(_ user: User, _ action: String) {
        let span = L.tracer.start("calculate_pricing", kind: .internal, parent: parent)
        let priced = Pricing.price(userId: user.id, tier: user.tier)
        for item in priced.items {
            L.tracer.addEvent(span, "item", [
                SpanAttribute("sku", .text(InlineText(item.sku))),
                SpanAttribute("quantity", .int(item.quantity)),
                SpanAttribute("unit_price_cents", .int(item.unitPriceCents)),
            ])
        }
        L.tracer.setAttribute(span, "user.id", .int(user.id))
        L.tracer.setAttribute(span, "user.tier", .literal(user.tier.literal))
        L.tracer.setAttribute(span, "order.item_count", .int(Int64(priced.items.count)))
        L.tracer.setAttribute(span, "order.total_cents", .int(priced.totalCents))
        L.tracer.end(span)
        store(user, action, priced)
    }

    private func store(_ user: User, _ action: String, _ p: PricedOrder) {
        let items = String(decoding: encodeItems(p.items), as: UTF8.self)
        var params: [PGParam] = [.int(user.id), .text(action), .text(items), .int(p.subtotalCents), .int(p.discountCents),
                                 .int(p.taxCents), .int(p.totalCents), .text(traceId)]
        if let token { params.append(.text(token)) }
        let sql: SQL = token == nil ? .insertOrder : .insertOrderKeyed
        L.query(sql, params, parent: parent, budget: Budget.statement(until: workUntil, now: L.loop.now)) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, sql), traceId: traceId)
            case .success(let rows) where rows.count == 0:
                res.fail(Idempotency.inFlight, traceId: traceId)   // the same token's order is being written now
            case .success(let rows):
                let order = Order(id: rows.int(0, 0), pricing: p)
                let inserted = token == nil || rows.string(0, 1) == "t"
                if let server = L.tracer.span(token: observation) { L.tracer.setAttribute(server, "order.id", .int(order.id)) }
                callAudit(user, action, order, inserted: inserted)
            }
        }
    }

    private func callAudit(_ user: User, _ action: String, _ order: Order, inserted: Bool) {
        let body = encodeAuditServiceRequest(user: user, order: order, action: action)
        NextService.call(L, body: body, parent: parent, until: workUntil &- Budget.undo, token: token) { result in
            if let e = upstreamError(result) {
                // 504: audit-service may have committed, the order stays. Else it committed
                // nothing: undo this request's order (one a previous attempt wrote is not ours).
                if e.code == .upstreamTimeout || !inserted { return res.fail(e, traceId: traceId) }
                return undo(order, e)
            }
            guard case .response(let r) = result, let v = try? JSONReader.parse(r.body),
                  let a = v["audit"], let audit = AuditRecord(json: a) else {
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
        L.query(.deleteOrder, [.int(order.id)], parent: parent, budget: Budget.statement(until: answerBy, now: L.loop.now)) { result in
            if case .success = result { return res.fail(e, traceId: traceId) }
            res.fail(ErrorBody(.upstreamTimeout, "audit-service failed and the stored order could not be removed in time; the outcome is unknown"),
                     traceId: traceId)
        }
    }
}

/// audit-service `POST /process`: one row in audit_logs (once per `Idempotency-Key` token),
/// answered with its id.
enum AuditProcess {
    static func run(_ L: ServiceLoop, _ req: Request, _ res: Responder) {
        let parent = L.tracer.span(token: req.observation)?.context
        let traceId = parent?.traceID.hexString ?? ""
        let key = Idempotency.key(req)
        if case .invalid = key { return res.fail(Idempotency.invalidKey, traceId: traceId) }
        let token = key.value
        let workUntil = Budget.answerBy(req, now: L.loop.now) &- Budget.report
        guard let v = try? JSONReader.parse(req.body), v.isObject else {
            return res.fail(ErrorBody(.invalidJSON, "request body must be a JSON object"), traceId: traceId)
        }
        guard let u = v["user"], let user = User(json: u), let o = v["order"], let order = Order(json: o),
              let action = v["action"]?.stringValue, ProcessRequest.isValidAction(action) else {
            return res.fail(ErrorBody(.invalidRequest, "user, order and action are required"), traceId: traceId)
        }
        let details = String(decoding: encodeAuditDetails(totalCents: order.totalCents, itemCount: order.items.count), as: UTF8.self)
        var params: [PGParam] = [.text(traceId), .int(user.id), .int(order.id), .text(action), .text(details)]
        if let token { params.append(.text(token)) }
        let sql: SQL = token == nil ? .insertAudit : .insertAuditKeyed
        let observation = req.observation
        L.query(sql, params, parent: parent, budget: Budget.statement(until: workUntil, now: L.loop.now)) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, sql), traceId: traceId)
            case .success(let rows) where rows.count == 0:
                res.fail(Idempotency.inFlight, traceId: traceId)
            case .success(let rows):
                if let server = L.tracer.span(token: observation) { L.tracer.setAttribute(server, "audit.id", .int(rows.int(0, 0))) }
                var w = JSONWriter(capacity: 64)
                w.beginObject()
                w.key("audit"); AuditRecord(id: rows.int(0, 0)).write(to: &w)
                w.endObject()
                res.respond(status: 200, body: w.bytes)
            }
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
