import Reactor
/// A query on its way through a pool: kept until its result is final, so it can be re-sent
/// when another query's error aborted its batch.
final class PGQuery {
    let statement: Int
    let params: [PGParam]
    let deadline: Instant
    var completion: PGCompletion?
    var attempts = 0
    let stats: PGPoolStats

    init(statement: Int, params: [PGParam], deadline: Instant, stats: PGPoolStats, completion: @escaping PGCompletion) {
        self.statement = statement
        self.params = params
        self.deadline = deadline
        self.stats = stats
        self.completion = completion
        stats.queryStarted()
    }

    var isDone: Bool { completion == nil }

    /// Completes the query once; later results (after a timeout, say) are ignored.
    func finish(_ r: Result<PGRows, PGError>) {
        guard let c = completion else { return }
        completion = nil
        stats.queryFinished()
        c(r)
    }
}

/// What the connection expects back from the server, in order.
enum PipelineEntry {
    case query(PGQuery)
    case prepare
    case sync
    /// `PGConnection.guardStatement` before a batch's first write: fails the batch when it
    /// starts running too late for the server's own limits to end it before the write's deadline.
    case deadlineGuard
}
