import Reactor
/// A query on its way through a pool: kept until its result is final, so it can be re-sent
/// when another query's error aborted its batch.
final class PGQuery {
    enum Completion {
        case plain(PGCompletion)
        case run(PGRunCompletion)
    }

    let statement: Int
    let params: [PGParam]
    let deadline: Instant
    var completion: Completion?
    var attempts = 0
    /// Rows of the multi-row statement it was last sent in (1: sent alone, or not sent).
    var batchSize = 1
    /// Sent alone from now on: a multi-row statement it was part of failed, and sending the rows
    /// one by one gives the row at fault its own error and lets the others commit.
    var alone = false
    let stats: PGPoolStats

    init(statement: Int, params: [PGParam], deadline: Instant, stats: PGPoolStats, completion: Completion) {
        self.statement = statement
        self.params = params
        self.deadline = deadline
        self.stats = stats
        self.completion = completion
        stats.queryStarted()
    }

    var isDone: Bool { completion == nil }

    /// Completes the query once; later results (after a timeout, say) are ignored. `statements`
    /// are the pool's, to name the text that ran.
    func finish(_ r: Result<PGRows, PGError>, _ statements: [PGStatement]) {
        guard let c = completion else { return }
        completion = nil
        stats.queryFinished()
        switch c {
        case .plain(let c): c(r)
        case .run(let c):
            let s = statements[statement]
            let multi = batchSize > 1 ? s.multiRow : nil
            c(r, PGRun(sql: multi?.sql ?? s.sql, batchSize: multi == nil ? 1 : batchSize))
        }
    }
}

/// Queries of one statement sent as its multi-row form (`PGStatement.multiRow`), in the order
/// of its array parameters.
final class PGGroup {
    let statement: Int
    let queries: [PGQuery]
    init(statement: Int, queries: [PGQuery]) {
        self.statement = statement
        self.queries = queries
    }
}

/// What the connection expects back from the server, in order.
enum PipelineEntry {
    case query(PGQuery)
    /// One multi-row statement standing for these queries.
    case group(PGGroup)
    case prepare
    case sync
    /// `PGConnection.guardStatement` before a batch's first write: fails the batch when it
    /// starts running too late for the server's own limits to end it before the write's deadline.
    case deadlineGuard

    /// Calls `body` with each query this entry's result answers.
    func forEachQuery(_ body: (PGQuery) -> Void) {
        switch self {
        case .query(let q): body(q)
        case .group(let g): for q in g.queries { body(q) }
        case .prepare, .sync, .deadlineGuard: break
        }
    }
}
