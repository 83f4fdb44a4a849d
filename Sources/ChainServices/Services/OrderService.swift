import HTTP1
import Postgres
import Reactor
import Telemetry

/// order-service `POST /process`: price the order, store it, call audit-service, answer with
/// the order and the audit record.
struct OrderProcess {
    let L: ServiceLoop
    let res: Responder
    let parent: SpanContext?
    let traceId: String
    let observation: UInt64

    static func run(_ L: ServiceLoop, _ req: Request, _ res: Responder) {
        let parent = L.tracer.span(token: req.observation)?.context
        let flow = OrderProcess(L: L, res: res, parent: parent, traceId: parent?.traceID.hexString ?? "", observation: req.observation)
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
        let params: [PGParam] = [.int(user.id), .text(action), .text(items), .int(p.subtotalCents), .int(p.discountCents),
                                 .int(p.taxCents), .int(p.totalCents), .text(traceId)]
        L.query(.insertOrder, params, parent: parent, budget: Budget.database) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, .insertOrder), traceId: traceId)
            case .success(let rows):
                let order = Order(id: rows.int(0, 0), pricing: p)
                if let server = L.tracer.span(token: observation) { L.tracer.setAttribute(server, "order.id", .int(order.id)) }
                callAudit(user, action, order)
            }
        }
    }

    private func callAudit(_ user: User, _ action: String, _ order: Order) {
        let body = encodeAuditServiceRequest(user: user, order: order, action: action)
        NextService.call(L, body: body, parent: parent, budget: Budget.auditCall) { result in
            if let e = upstreamError(result) { return res.fail(e, traceId: traceId) }
            guard case .response(let r) = result, let v = try? JSONReader.parse(r.body),
                  let a = v["audit"], let audit = AuditRecord(json: a) else {
                return res.fail(ErrorBody(.upstreamError, "audit-service answered an unexpected body"), traceId: traceId)
            }
            var w = JSONWriter(capacity: 384)
            w.beginObject()
            w.key("order"); order.write(to: &w)
            w.key("audit"); audit.write(to: &w)
            w.endObject()
            res.respond(status: 200, body: w.bytes)
        }
    }
}

/// audit-service `POST /process`: one row in audit_logs, answered with its id.
enum AuditProcess {
    static func run(_ L: ServiceLoop, _ req: Request, _ res: Responder) {
        let parent = L.tracer.span(token: req.observation)?.context
        let traceId = parent?.traceID.hexString ?? ""
        guard let v = try? JSONReader.parse(req.body), v.isObject else {
            return res.fail(ErrorBody(.invalidJSON, "request body must be a JSON object"), traceId: traceId)
        }
        guard let u = v["user"], let user = User(json: u), let o = v["order"], let order = Order(json: o),
              let action = v["action"]?.stringValue, ProcessRequest.isValidAction(action) else {
            return res.fail(ErrorBody(.invalidRequest, "user, order and action are required"), traceId: traceId)
        }
        let details = String(decoding: encodeAuditDetails(totalCents: order.totalCents, itemCount: order.items.count), as: UTF8.self)
        let params: [PGParam] = [.text(traceId), .int(user.id), .int(order.id), .text(action), .text(details)]
        let observation = req.observation
        L.query(.insertAudit, params, parent: parent, budget: Budget.database) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, .insertAudit), traceId: traceId)
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
