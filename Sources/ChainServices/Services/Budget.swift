import Reactor

/// How the time of one `POST /process` is shared out. The request's deadline comes from the
/// server (`RequestContext.deadline`: the service's `--request-timeout`, or the caller's own
/// deadline at order- and audit-service, passed in `X-Chain-Deadline-Ms`). A hop's work (a
/// statement, a call to the next hop) ends `report` before it, so an inner hop's answer, even
/// an error, reaches the outer one before the outer one gives up on it (README "Timeouts,
/// retries and idempotency keys").
enum Budget {
    /// At most this per statement (client side).
    static let database = TimeAmount.seconds(2)
    /// The server's own limits on every service connection: PostgreSQL stops a statement (and
    /// rolls its batch back) before the client's `database` budget ends.
    static let statementTimeoutMs = 1_500
    static let lockTimeoutMs = 1_000
    static let idleInTransactionMs = 5_000
    /// A write is sent only with this much of its deadline left: the server's statement_timeout
    /// and 100 ms for the network and the queue in front of it.
    static let minWrite = TimeAmount.milliseconds(1_600)
    /// Kept by a hop, after its work's deadline, to answer its own caller.
    static let report = TimeAmount.milliseconds(250)
    /// Kept by order-service after its call to audit-service, to undo its order when
    /// audit-service committed nothing.
    static let undo = database + report

    /// The header a hop tells the next one its deadline in (milliseconds left).
    static let deadlineHeader: StaticString = "x-chain-deadline-ms"
}
