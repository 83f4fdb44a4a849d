import Glibc
import Reactor

/// A statement prepared once on every connection of a pool and then sent by name.
/// `isWrite` decides when its result is final: a read's result is delivered as soon as it
/// arrives; a write's only once the batch's Sync confirms the implicit transaction committed.
/// `multiRow`, when given, is the same statement for many rows at once: when two or more queries
/// of the statement go out in one batch on one connection, they are sent as that one statement
/// instead (README "PostgreSQL": multi-row statements). A class: the pool's table is read for
/// every query, and each copy of it as a struct retained and released its three strings.
public final class PGStatement: Sendable {
    public let name: String
    public let sql: String
    public let isWrite: Bool
    public let multiRow: PGMultiRow?
    public init(name: String, sql: String, isWrite: Bool, multiRow: PGMultiRow? = nil) {
        self.name = name
        self.sql = sql
        self.isWrite = isWrite
        self.multiRow = multiRow
    }
}

/// The multi-row form of a statement. Its `$n` is a text-format array of every coalesced
/// query's `$n`, in the order the queries are listed (e.g. `$1::bigint[]` with `unnest`), so it
/// takes as many parameters as the single-row form. `split` says which result rows belong to
/// which query. It must do for every row exactly what the single-row form does for that row:
/// the pool falls back to the single-row form whenever it likes (one query in the batch, the
/// rows of a multi-row statement that failed, `PGConfig.multiRowStatements` off).
public struct PGMultiRow: Sendable {
    public enum Split: Sendable {
        /// Exactly one result row per query, in the queries' order (`INSERT ... SELECT
        /// unnest($1::bigint[]), unnest($2::text[]) ... RETURNING ...`: the unnests run in step,
        /// element by element, and PostgreSQL inserts, and returns, the rows in the order the
        /// SELECT yields them).
        case inOrder
        /// Each query gets the result rows whose column `column` reads as its parameter number
        /// `param` (0-based; int or text parameters, compared as text); none: an empty result.
        /// For point reads, e.g. `WHERE id = ANY($1::bigint[])`.
        case byKey(column: Int, param: Int)
    }
    public let sql: String
    public let split: Split
    /// The element type of each `$n`'s array: given, the arrays go in PostgreSQL's binary
    /// format (`PGArrayBinary`); nil, in the text format (`PGArrayText`).
    public let elements: [PGArrayElement]?
    public init(sql: String, split: Split, elements: [PGArrayElement]? = nil) {
        self.sql = sql
        self.split = split
        self.elements = elements
    }
}

/// How a query ran in the end: alone (`batchSize` 1, the statement's own text) or as one of
/// `batchSize` rows of the statement's multi-row form (`sql` is then that text). A query that
/// never reached the server reports its single-row form.
public struct PGRun: Sendable {
    public let sql: String
    public let batchSize: Int
    public var isMultiRow: Bool { batchSize > 1 }
}

/// A query parameter, sent in text format (in a multi-row statement's arrays, in binary format
/// where the statement declares the element types). libpq takes text parameters as C strings,
/// so a NUL would silently end the value there: the pool refuses such a query instead
/// (`PGError.invalidParameter`); PostgreSQL's text types cannot hold a NUL anyway.
public enum PGParam: Sendable {
    case int(Int64)
    case text(String)
    case null

    /// Whether the value reaches the server whole.
    var isSendable: Bool {
        guard case .text(let s) = self else { return true }
        // memchr on the string's bytes: `utf8.contains` walks them one by one (about 1,500
        // instructions for an order's parameters, per query).
        let nul = s.utf8.withContiguousStorageIfAvailable { b in b.baseAddress.map { memchr($0, 0, b.count) != nil } ?? false }
        if let nul { return !nul }
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
/// A completion that is also told how the query ran (`PGPool.query(_:_:deadline:run:)`).
public typealias PGRunCompletion = (Result<PGRows, PGError>, PGRun) -> Void

public struct PGConfig: Sendable {
    public var connectionsPerLoop = 2
    public var connectTimeout = TimeAmount.seconds(5)
    public var reconnectMin = TimeAmount.milliseconds(50)
    public var reconnectMax = TimeAmount.seconds(2)
    /// Times a query may be re-sent because another query's error aborted its batch.
    public var maxRetries = 3
    /// Queries allowed to wait for a ready connection, per pool. Beyond it a query fails with
    /// `.overloaded` at once: a queue that outgrows the deadlines only delays every answer.
    public var maxWaiting = 1024
    /// A connection whose oldest query is past its deadline and that has heard nothing from the
    /// server for this long is taken for dead and replaced: the peer vanished without a reset
    /// (a host gone, a proxy or NAT that dropped the flow), which TCP alone may never report.
    /// Detection takes max(this, the query's budget); keep both under 10 s.
    public var peerSilenceLimit = TimeAmount.seconds(5)
    /// Benchmark switch: close every query with its own Sync instead of one Sync per loop
    /// iteration, to measure what batching adds. Leave off.
    public var syncEachQuery = false
    /// Queries of a statement with a `PGStatement.multiRow` form that meet in one batch on one
    /// connection go as one multi-row statement (at most `maxRowsPerStatement` rows each).
    /// Off: every query is its own statement.
    public var multiRowStatements = true
    public var maxRowsPerStatement = 256
    /// Batches (Syncs) a connection may have in flight. While it has that many, what comes
    /// waits in the connection and goes out as the next batch when one is answered: under load
    /// a batch carries every query that arrived while the server worked on the one before, so
    /// statements and commits are shared by more requests; with nothing in flight a query goes
    /// out at the end of its loop iteration, as before. 0: no limit (every iteration's queries
    /// go out at once).
    public var maxBatchesInFlight = 1
    /// With two or more connections, a query of a statement with a multi-row form gathers on a
    /// connection whose batch is on the server (held there, it goes out with the next batch)
    /// while that server has answered something within this window. Past it, new queries go to
    /// another connection and those gathered there move with them, so a slow statement holds
    /// no other query longer than about this. Under load one connection then carries most
    /// batches, each about twice as full, and PostgreSQL pays a fifth less per request
    /// (Perf/RESULTS.md, stop 24). 0: every query goes to the least busy connection.
    public var gatherWindow = TimeAmount.milliseconds(10)
    /// A write is sent, and sent again after its batch rolled back, only while at least this
    /// much of its deadline is left; else it fails with `.notSent`. Set it above the server's
    /// `statement_timeout` (`serverTimeouts`) plus the network's share, and the server always
    /// stops a write before its client deadline passes, so the client learns the outcome
    /// (README "Timeouts, retries and idempotency keys"). 0: no minimum.
    public var minWriteBudget = TimeAmount.zero
    /// `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout` (ms) set on
    /// every connection of the pool (startup `options`); nil leaves the server's defaults.
    public var serverTimeouts: (statement: Int, lock: Int, idleInTransaction: Int)?
    public init() {}
}
