/// A statement prepared once on every connection of a pool and then sent by name.
/// `isWrite` decides when its result is final: a read's result is delivered as soon as it
/// arrives; a write's only once the batch's Sync confirms the implicit transaction committed.
public struct PGStatement: Sendable {
    public let name: String
    public let sql: String
    public let isWrite: Bool
    public init(name: String, sql: String, isWrite: Bool) {
        self.name = name
        self.sql = sql
        self.isWrite = isWrite
    }
}

/// A query parameter, sent in text format. libpq takes text parameters as C strings, so a NUL
/// would silently end the value there: the pool refuses such a query instead
/// (`PGError.invalidParameter`); PostgreSQL's text types cannot hold a NUL anyway.
public enum PGParam: Sendable {
    case int(Int64)
    case text(String)
    case null

    /// Whether the value reaches the server whole.
    var isSendable: Bool {
        guard case .text(let s) = self else { return true }
        return !s.utf8.contains(0)
    }
}

public enum PGError: Error, Equatable, CustomStringConvertible {
    /// The server rejected this query (SQLSTATE and message).
    case server(sqlState: String, message: String)
    /// The connection broke after the query was sent: it may or may not have run.
    case connectionLost
    /// No connection came up before the query's deadline.
    case unavailable
    /// The query was sent but no result came before its deadline.
    case timeout
    /// The query was retried (as an innocent member of failed batches) too often.
    case retriesExhausted
    case shuttingDown
    /// No connection was ready and `PGConfig.maxWaiting` queries already waited: refused at
    /// once, nothing sent (load shedding, like a 503 before any work).
    case overloaded
    /// Parameter `$n` (1-based) holds a NUL, which a text parameter cannot carry; nothing was sent.
    case invalidParameter(Int)
    /// A write was not sent (or not sent again) because less than `PGConfig.minWriteBudget` of
    /// its deadline was left: nothing of it ran.
    case notSent

    public var description: String {
        switch self {
        case .server(let state, let msg): return "server error \(state): \(msg)"
        case .connectionLost: return "connection to the database was lost"
        case .unavailable: return "database unavailable"
        case .timeout: return "query timed out"
        case .retriesExhausted: return "query retried too often"
        case .shuttingDown: return "database pool is shutting down"
        case .overloaded: return "too many database operations waiting for a connection"
        case .invalidParameter(let n): return "parameter $\(n) contains a NUL character, which PostgreSQL text cannot hold"
        case .notSent: return "write not sent: too little of its deadline left"
        }
    }

    /// A short, bounded name for metrics labels: the SQLSTATE for server errors.
    public var kind: String {
        switch self {
        case .server(let state, _): return state
        case .connectionLost: return "connection_lost"
        case .unavailable: return "unavailable"
        case .timeout: return "timeout"
        case .retriesExhausted: return "retries_exhausted"
        case .shuttingDown: return "shutting_down"
        case .overloaded: return "overloaded"
        case .invalidParameter: return "invalid_parameter"
        case .notSent: return "not_sent"
        }
    }
}

public typealias PGCompletion = (Result<PGRows, PGError>) -> Void

public struct PGConfig: Sendable {
    public var connectionsPerLoop = 2
    public var connectTimeout: UInt64 = 5_000_000_000
    public var reconnectMin: UInt64 = 50_000_000
    public var reconnectMax: UInt64 = 2_000_000_000
    /// Times a query may be re-sent because another query's error aborted its batch.
    public var maxRetries = 3
    /// Queries allowed to wait for a ready connection, per pool. Beyond it a query fails with
    /// `.overloaded` at once: a queue that outgrows the deadlines only delays every answer.
    public var maxWaiting = 1024
    /// A connection whose oldest query is past its deadline and that has heard nothing from the
    /// server for this long is taken for dead and replaced: the peer vanished without a reset
    /// (a host gone, a proxy or NAT that dropped the flow), which TCP alone may never report.
    /// Detection takes max(this, the query's budget); keep both under 10 s.
    public var peerSilenceLimit: UInt64 = 5_000_000_000
    /// Benchmark switch: close every query with its own Sync instead of one Sync per loop
    /// iteration, to measure what batching adds. Leave off.
    public var syncEachQuery = false
    /// A write is sent, and sent again after its batch rolled back, only while at least this
    /// much of its deadline is left; else it fails with `.notSent`. Set it above the server's
    /// `statement_timeout` (`serverTimeouts`) plus the network's share, and the server always
    /// stops a write before its client deadline passes, so the client learns the outcome
    /// (README "Timeouts, retries and idempotency keys"). 0: no minimum.
    public var minWriteBudget: UInt64 = 0
    /// `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout` (ms) set on
    /// every connection of the pool (startup `options`); nil leaves the server's defaults.
    public var serverTimeouts: (statement: Int, lock: Int, idleInTransaction: Int)?
    public init() {}
}
