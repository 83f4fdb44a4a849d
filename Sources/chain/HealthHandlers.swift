import HTTP1

/// `GET /health` for the bare runtime: `{"status":"ok"}`, or with a database configured,
/// `{"status":"ok","checks":{"database":"ok"}}` after a `SELECT 1` (503 when it fails).
enum HealthHandlers {
    static let body: StaticString = "{\"status\":\"ok\"}"
    static let dbOK: StaticString = "{\"status\":\"ok\",\"checks\":{\"database\":\"ok\"}}"
    static let dbDown: StaticString = "{\"status\":\"unavailable\",\"checks\":{\"database\":\"unavailable\"}}"

    static func register(on router: Router, database: Database?) {
        if let database {
            router.add(.GET, "/health", admission: .always) { _, r in
                guard let pool = database.pool(r.loop) else { return r.respond(status: 503, body: dbDown) }
                pool.query(Database.ping, deadline: r.loop.now &+ 2_000_000_000) { result in
                    if case .success = result { r.respond(status: 200, body: dbOK) } else { r.respond(status: 503, body: dbDown) }
                }
            }
            return
        }
        router.add(.GET, "/health", admission: .always) { _, r in r.respond(status: 200, body: body) }
    }
}
