import HTTP1
import Reactor

/// How long each hop of `POST /process` may take. A hop answers by its deadline; its work (a
/// statement, a call to the next hop) ends `report` before that, so an inner hop's answer,
/// even an error, reaches the outer one before the outer one gives up on it. The caller passes
/// the time the callee has in `X-Chain-Deadline-Ms` (README "Timeouts, retries and idempotency
/// keys").
enum Budget {
    /// The whole of `POST /process` at user-service; also a hop's budget when its caller sent
    /// no deadline (a direct call).
    static let request: UInt64 = 12_000_000_000
    /// At most this per statement (client side).
    static let database: UInt64 = 2_000_000_000
    /// The server's own limits on every service connection: PostgreSQL stops a statement (and
    /// rolls its batch back) before the client's `database` budget ends.
    static let statementTimeoutMs = 1_500
    static let lockTimeoutMs = 1_000
    static let idleInTransactionMs = 5_000
    /// A write is sent only with this much of its deadline left: the server's statement_timeout
    /// and 100 ms for the network and the queue in front of it.
    static let minWrite: UInt64 = 1_600_000_000
    /// Kept by a hop, after its work's deadline, to answer its own caller.
    static let report: UInt64 = 250_000_000
    /// Kept by order-service after its call to audit-service, to undo its order when
    /// audit-service committed nothing.
    static let undo: UInt64 = database + report

    static let deadlineHeader: StaticString = "x-chain-deadline-ms"

    /// When this hop must have answered: its caller's `X-Chain-Deadline-Ms` (milliseconds from
    /// now), at most `request`; `request` without one.
    static func answerBy(_ req: Request, now: UInt64) -> UInt64 {
        guard let v = req.header(deadlineHeader), !v.isEmpty, v.count <= 9 else { return now &+ request }
        var ms: UInt64 = 0
        for b in v {
            guard b >= 48 && b <= 57 else { return now &+ request }
            ms = ms * 10 + UInt64(b - 48)
        }
        return now &+ min(ms * 1_000_000, request)
    }

    /// The budget of a statement that must end by `until`.
    static func statement(until: UInt64, now: UInt64) -> UInt64 {
        until > now ? min(database, until - now) : 0
    }
}
