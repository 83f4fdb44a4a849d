import HTTP1
import Postgres
import Reactor

/// `GET /health`: `{"status":"ok","service":...,"checks":{"database":"ok"}}` after a `SELECT 1`
/// on the loop's pool, 503 with "unavailable" when it fails. The bare runtime without a database
/// answers `{"status":"ok"}` (`Health.alive`). One handler for the services and the runtime.
public enum Health {
    public static func check(_ pool: PGPool, ping: Int, service: String?, deadline: Instant, _ res: Responder) {
        pool.query(ping, deadline: min(deadline, res.loop.now + Budget.database)) { result in
            let ok: Bool = { if case .success = result { return true }; return false }()
            var w = JSONWriter(capacity: 96)
            w.beginObject()
            w.field("status", ok ? "ok" : "unavailable")
            if let service { w.field("service", service) }
            w.key("checks")
            w.beginObject()
            w.field("database", ok ? "ok" : "unavailable")
            w.endObject()
            w.endObject()
            res.respond(status: ok ? 200 : 503, body: w.bytes)
        }
    }

    public static func alive(_ res: Responder) { res.respond(status: 200, body: "{\"status\":\"ok\"}") }

    /// The statements of a pool made only for health checks (the bare runtime's): `SELECT 1` at 0.
    public static let statements = [PGStatement(name: "ping", sql: "SELECT 1", isWrite: false)]
}
