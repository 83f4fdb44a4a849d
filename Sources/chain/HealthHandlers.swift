import HTTP1

/// `GET /health` for the bare runtime: `{"status":"ok"}`, or with a database configured,
/// `{"status":"ok","checks":{"database":"ok"}}` after a `SELECT 1` (503 when it fails).
enum HealthHandlers {
    static let body: StaticString = "{\"status\":\"ok\"}"
    static let dbOK: StaticString = "{\"status\":\"ok\",\"checks\":{\"database\":\"ok\"}}"
    static let dbDown: StaticString = "{\"status\":\"unavailable\",\"checks\":{\"database\":\"unavailable\"}}"

    static func register(on router: Router, style: Serve.HandlerStyle, database: Database?) {
        if let database {
            router.add(.GET, "/health", admission: .always) { _, r in
                guard let pool = database.pool(r.loop) else { return r.respond(status: 503, body: dbDown) }
                pool.query(Database.ping, deadline: r.loop.now &+ 2_000_000_000) { result in
                    if case .success = result { r.respond(status: 200, body: dbOK) } else { r.respond(status: 503, body: dbDown) }
                }
            }
            return
        }
        switch style {
        case .callback:
            router.add(.GET, "/health", admission: .always) { _, r in r.respond(status: 200, body: body) }
        case .async:
            let bytes = Array(UnsafeBufferPointer(start: body.utf8Start, count: body.utf8CodeUnitCount))
            router.addAsync(.GET, "/health", admission: .always) { _ in Response(status: 200, body: bytes) }
        }
    }
}
