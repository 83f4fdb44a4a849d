import Synchronization

/// A pool's occupancy, written by its loop and read by a metrics scrape on any thread.
///
/// Each cell has one writer (the pool's loop), which stores absolute values or does a relaxed
/// load + store, so no update is lost without a read-modify-write; a reader may see values a
/// moment old, never torn ones.
public final class PGPoolStats: @unchecked Sendable {
    /// Connections the pool keeps open (configured).
    public let configured: Int
    private let readyCell = Atomic<Int>(0)
    private let pendingCell = Atomic<Int>(0)
    private let inFlightCell = Atomic<Int>(0)
    private let multiRowStatementsCell = Atomic<Int>(0)
    private let multiRowQueriesCell = Atomic<Int>(0)
    private let deadlineGuardsCell = Atomic<Int>(0)

    public init(configured: Int) { self.configured = configured }

    /// Connections connected and prepared, able to take queries.
    public var ready: Int { readyCell.load(ordering: .relaxed) }
    /// Queries waiting for a ready connection.
    public var pending: Int { pendingCell.load(ordering: .relaxed) }
    /// Queries accepted by the pool and not completed yet (pending ones included).
    public var inFlight: Int { inFlightCell.load(ordering: .relaxed) }

    /// Multi-row statements sent (`PGStatement.multiRow`), and the queries they carried.
    public var multiRowStatements: Int { multiRowStatementsCell.load(ordering: .relaxed) }
    public var multiRowQueries: Int { multiRowQueriesCell.load(ordering: .relaxed) }
    /// Deadline guards sent (`PGConfig.minWriteBudget`: one per write batch queued behind another).
    public var deadlineGuards: Int { deadlineGuardsCell.load(ordering: .relaxed) }

    func setReady(_ n: Int) { readyCell.store(n, ordering: .relaxed) }
    func setPending(_ n: Int) { pendingCell.store(n, ordering: .relaxed) }
    func queryStarted() { inFlightCell.store(inFlightCell.load(ordering: .relaxed) &+ 1, ordering: .relaxed) }
    func multiRowSent(rows: Int) {
        multiRowStatementsCell.store(multiRowStatementsCell.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        multiRowQueriesCell.store(multiRowQueriesCell.load(ordering: .relaxed) &+ rows, ordering: .relaxed)
    }
    func guardSent() { deadlineGuardsCell.store(deadlineGuardsCell.load(ordering: .relaxed) &+ 1, ordering: .relaxed) }
    func queryFinished() { inFlightCell.store(inFlightCell.load(ordering: .relaxed) &- 1, ordering: .relaxed) }
}
