import HTTP1
import Postgres
import Reactor
import Tracing

/// audit-service `POST /process`: one row in audit_logs (once per `Idempotency-Key` token),
/// answered with its id.
enum AuditProcess {
    static func run(_ local: ServiceLoop, _ req: Request, _ res: Responder) {
        let ctx = req.context
        let traceId = ctx.traceID
        let key = Idempotency.key(req)
        if case .invalid = key { return res.fail(Idempotency.invalidKey, traceId: traceId) }
        let token = key.value
        let workUntil = ctx.deadline - Budget.report
        guard let body = try? ChainBody.decode(req.body), body.isObject else {
            return res.fail(ErrorBody(.invalidJSON, "request body must be a JSON object"), traceId: traceId)
        }
        guard let user = body.user, let order = body.order, let action = body.action,
              ProcessRequest.isValidAction(action) else {
            return res.fail(ErrorBody(.invalidRequest, "user, order and action are required"), traceId: traceId)
        }
        let details = String(decoding: encodeAuditDetails(totalCents: order.totalCents, itemCount: order.items.count), as: UTF8.self)
        var params: [PGParam] = [.text(traceId), .int(user.id), .int(order.id), .text(action), .text(details)]
        if let token { params.append(.text(token)) }
        let sql: SQL = token == nil ? .insertAudit : .insertAuditKeyed
        local.query(sql, params, parent: ctx.traceParent, until: workUntil) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, sql), traceId: traceId)
            case .success(let rows) where rows.count == 0:
                res.fail(Idempotency.inFlight, traceId: traceId)
            case .success(let rows):
                if let server = ctx.span { local.tracer.setAttribute(server, "audit.id", .int(rows.int(0, 0))) }
                var w = JSONWriter(capacity: 64)
                w.beginObject()
                w.key("audit"); AuditRecord(id: rows.int(0, 0)).write(to: &w)
                w.endObject()
                res.respond(status: 200, body: w.bytes)
            }
        }
    }
}
