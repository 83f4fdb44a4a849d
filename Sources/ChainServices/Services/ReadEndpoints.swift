import HTTP1
import Postgres
import Reactor
import Tracing
import Metrics

/// The read endpoints of API.md: keyset pagination (`after_id`, `limit` <= 100, default 20),
/// ordered by id, `next_after_id` null on the last page.
enum ReadEndpoints {
    struct Page { var limit: Int64 = 20; var afterID: Int64 = 0; var traceID = "" }

    static func register(_ service: ChainService, on router: Router) {
        switch service.name {
        case .user:
            router.add(.GET, "/users") { req, res in list(service, req, res, .listUsers, "users") }
            router.add(.GET, "/users/{id}") { req, res in get(service, req, res, .selectUser) }
        case .order:
            router.add(.GET, "/orders") { req, res in list(service, req, res, .listOrders, "orders") }
            router.add(.GET, "/orders/{id}") { req, res in get(service, req, res, .getOrder) }
        case .audit:
            router.add(.GET, "/audit") { req, res in list(service, req, res, .listAudit, "audit_logs") }
        }
    }

    private static func list(_ service: ChainService, _ req: Request, _ res: Responder, _ sql: SQL, _ key: StaticString) {
        let local = service.locals[res.loop]
        let parent = req.context.traceParent, traceId = req.context.traceID
        let page: Page
        switch parsePage(req.query) {
        case .failure(let e): return res.fail(e, traceId: traceId)
        case .success(let p): page = p
        }
        var params: [PGParam] = [.int(page.afterID), .int(page.limit + 1)]   // one extra row: is there a next page?
        var sql = sql
        if sql == .listAudit, !page.traceID.isEmpty { sql = .listAuditByTrace; params.append(.text(page.traceID)) }
        local.query(sql, params, parent: parent, until: req.context.deadline) { result in
            guard case .success(let rows) = result else {
                if case .failure(let e) = result { res.fail(databaseError(e, sql), traceId: traceId) }
                return
            }
            let n = min(rows.count, Int(page.limit))
            var w = JSONWriter(capacity: 128 + n * 160)
            w.beginObject()
            w.key(key)
            w.beginArray()
            for i in 0..<n { writeRow(sql, rows, i, &w) }
            w.endArray()
            w.key("next_after_id")
            if rows.count > n { w.int(rows.int(n - 1, 0)) } else { w.null() }
            w.endObject()
            res.respond(status: 200, body: w.bytes)
        }
    }

    private static func get(_ service: ChainService, _ req: Request, _ res: Responder, _ sql: SQL) {
        let local = service.locals[res.loop]
        let parent = req.context.traceParent, traceId = req.context.traceID
        guard let id = Int64(req.string(req.params[0])), id >= 1 else {
            return res.fail(ErrorBody(.notFound, "no such id"), traceId: traceId)
        }
        local.query(sql, [.int(id)], parent: parent, until: req.context.deadline) { result in
            switch result {
            case .failure(let e): res.fail(databaseError(e, sql), traceId: traceId)
            case .success(let rows) where rows.count == 0:
                res.fail(ErrorBody(.notFound, "\(sql.table) \(id) not found"), traceId: traceId)
            case .success(let rows):
                var w = JSONWriter(capacity: 384)
                writeRow(sql, rows, 0, &w)
                res.respond(status: 200, body: w.bytes)
            }
        }
    }

    private static func writeRow(_ sql: SQL, _ rows: PGRows, _ i: Int, _ w: inout JSONWriter) {
        switch sql {
        case .listUsers, .selectUser:
            UserProcess.user(rows, row: i).write(to: &w)
        case .listOrders, .getOrder:
            let items = (try? JSONReader.parse(rows.bytes(i, 3))).flatMap { v -> [OrderItem]? in
                guard case .array(let a) = v else { return nil }
                return a.compactMap { OrderItem(json: $0) }
            } ?? []
            Order(id: rows.int(i, 0), items: items, subtotalCents: rows.int(i, 4), discountCents: rows.int(i, 5),
                  taxCents: rows.int(i, 6), totalCents: rows.int(i, 7), userId: rows.int(i, 1), action: rows.string(i, 2),
                  traceId: rows.string(i, 8), createdAt: rows.timestampRFC3339(i, 9)).write(to: &w)
        default:
            AuditLog(id: rows.int(i, 0), traceId: rows.string(i, 1), userId: rows.int(i, 2),
                     orderId: rows.isNull(i, 3) ? nil : rows.int(i, 3), action: rows.string(i, 4), status: rows.string(i, 5),
                     detailsJSON: Array(rows.bytes(i, 6)), createdAt: rows.timestampRFC3339(i, 7)).write(to: &w)
        }
    }

    /// `limit`, `after_id` and (audit) `trace_id` from the query string; anything else is ignored.
    static func parsePage(_ query: UnsafeRawBufferPointer) -> Result<Page, ErrorBody> {
        var page = Page()
        for pair in String(decoding: query, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let key = kv.first.map(String.init) ?? "", value = kv.count > 1 ? String(kv[1]) : ""
            switch key {
            case "limit":
                guard let v = Int64(value), (1...100).contains(v) else {
                    return .failure(ErrorBody(.invalidRequest, "limit must be an integer between 1 and 100"))
                }
                page.limit = v
            case "after_id":
                guard let v = Int64(value), v >= 0 else {
                    return .failure(ErrorBody(.invalidRequest, "after_id must be a non-negative integer"))
                }
                page.afterID = v
            case "trace_id":
                guard value.utf8.count == 32, value.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
                    return .failure(ErrorBody(.invalidRequest, "trace_id must be 32 lowercase hex digits"))
                }
                page.traceID = value
            default:
                continue
            }
        }
        return .success(page)
    }
}
