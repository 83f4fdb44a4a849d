import CLibPQ
import Reactor

extension PGConnection {
    /// Reads what arrived and matches results to the FIFO: per query one result then a NULL;
    /// per Sync one PGRES_PIPELINE_SYNC.
    func readResults() {
        guard let c = conn else { return }
        guard PQconsumeInput(c) == 1 else { return lost("read failed: \(errorMessage)") }
        while conn != nil, PQisBusy(c) == 0 {
            guard let res = PQgetResult(c) else {
                guard headHasResult else { break }   // pipeline idle: nothing more to read
                popHead()
                continue
            }
            handle(res)
        }
        if conn != nil { flushOutput() }
    }

    private func handle(_ res: OpaquePointer) {
        lastHeard = loop.now
        let status = PQresultStatus(res)
        if status == PGRES_PIPELINE_SYNC {
            PQclear(res)
            popHead()   // the .sync entry
            return finishBatch()
        }
        headHasResult = true
        guard fifoHead < fifo.count else { PQclear(res); return }
        switch fifo[fifoHead] {
        case .prepare:
            if status != PGRES_COMMAND_OK { pool.log("prepare failed: \(Self.message(res))") ; batchFailed = true }
            PQclear(res)
        case .sync:
            PQclear(res)
        case .deadlineGuard:
            // Too late to start: the batch rolls back, its writes are retried or fail unsent.
            if status != PGRES_TUPLES_OK && status != PGRES_PIPELINE_ABORTED { batchFailed = true }
            PQclear(res)
        case .query(let q):
            switch status {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                if pool.statements[q.statement].isWrite {
                    heldWrites.append((q, res))   // final only when the Sync confirms the commit
                } else {
                    q.finish(.success(PGRows(result: res)))
                    PQclear(res)
                }
            case PGRES_PIPELINE_ABORTED:
                aborted.append(q)
                PQclear(res)
            default:
                batchFailed = true
                q.finish(.failure(.server(sqlState: Self.sqlState(res), message: Self.message(res))))
                PQclear(res)
            }
        }
    }

    private func popHead() {
        headHasResult = false
        fifoHead += 1
        if fifoHead == fifo.count {
            fifo.removeAll(keepingCapacity: true)
            fifoHead = 0
        }
    }

    /// A batch ended at its Sync. Its writes committed unless some query failed, in which case
    /// the implicit transaction rolled back and the innocent writes are sent again, as are the
    /// queries the error aborted: a write only while `PGConfig.minWriteBudget` of its deadline is
    /// left (else it fails `.notSent`), so the server's statement_timeout still ends it before its
    /// client deadline. A query the server stopped (statement_timeout, lock_timeout) is a failed
    /// query like any other: its batch committed nothing.
    private func finishBatch() {
        let held = heldWrites
        heldWrites.removeAll(keepingCapacity: true)
        let again = aborted
        aborted.removeAll(keepingCapacity: true)
        let failed = batchFailed
        batchFailed = false
        if state == .preparing {
            if failed { return lost("could not prepare statements") }
            state = .ready
            backoff = .zero
            loop.timers.cancel(timer)
            pool.connectionReady(self)
        }
        for (q, res) in held {
            if failed { pool.retry(q) } else { q.finish(.success(PGRows(result: res))) }
            PQclear(res)
        }
        for q in again { pool.retry(q) }
        armQueryTimer()
    }

    static func sqlState(_ res: OpaquePointer) -> String {
        PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "XX000"
    }

    static func message(_ res: OpaquePointer) -> String {
        PQresultErrorField(res, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            ?? String(cString: PQresultErrorMessage(res))
    }

    // MARK: failures and time

    /// The connection is gone. Reads in flight are re-sent elsewhere (they are idempotent);
    /// writes whose commit was not confirmed may or may not have run: they fail.
    func lost(_ why: String) {
        pool.log("connection lost: \(why)")
        let entries = fifo[fifoHead...]
        let held = heldWrites
        let neverRan = aborted
        fifo.removeAll()
        fifoHead = 0
        heldWrites.removeAll()
        aborted.removeAll()
        headHasResult = false
        batchFailed = false
        unsynced = 0
        guarded = false
        if fd >= 0 { loop.deregister(fd) }
        fd = -1
        if let c = conn { PQfinish(c) }   // closes the socket
        conn = nil
        let wasReady = state == .ready
        state = .down
        pool.connectionLost(self, wasReady: wasReady)   // before re-sending: not a candidate now
        for (q, res) in held {
            PQclear(res)
            q.finish(.failure(.connectionLost))
        }
        for q in neverRan { pool.retry(q) }   // aborted by an earlier error: nothing ran
        for case .query(let q) in entries where !q.isDone && !neverRan.contains(where: { $0 === q }) {
            if pool.statements[q.statement].isWrite { q.finish(.failure(.connectionLost)) } else { pool.retry(q) }
        }
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        backoff = backoff == .zero ? pool.config.reconnectMin : min(backoff * 2, pool.config.reconnectMax)
        loop.timers.arm(timer, at: loop.now + backoff)
    }

    func timerFired() {
        switch state {
        case .down: connect()
        case .connecting, .preparing: lost("connect timed out")
        case .ready: expireQueries()
        }
    }

    /// Completes queries past their deadline with .timeout; their results, when they come, are
    /// dropped. The connection stays while the server may just be slow; once the query it owes
    /// first is past its deadline and it has said nothing for `peerSilenceLimit`, it is taken
    /// for dead: its socket may never fail (a vanished peer sends no reset, and a proxy's kernel
    /// keeps acknowledging), so waiting longer would only time out every query sent to it.
    private func expireQueries() {
        for case .query(let q) in fifo[fifoHead...] where !q.isDone && q.deadline <= loop.now {
            q.finish(.failure(.timeout))
        }
        if let dead = silentSince, dead <= loop.now {
            return lost("no answer from the server for \((loop.now - lastHeard).milliseconds) ms")
        }
        armQueryTimer()
    }

    /// When the connection counts as dead if nothing arrives before: the later of the end of the
    /// allowed silence and the deadline of the first query still owed (the server is allowed its
    /// time). nil when nothing is owed. A sync owed with no query before it has no deadline of
    /// its own: only the silence counts.
    private var silentSince: Instant? {
        guard inFlight > 0 else { return nil }
        var owedDeadline = Instant(nanoseconds: 0)
        for case .query(let q) in fifo[fifoHead...] { owedDeadline = q.deadline; break }
        return max(lastHeard + pool.config.peerSilenceLimit, owedDeadline)
    }

    private func armQueryTimer() {
        guard state == .ready else { return }
        var next = silentSince ?? .distantFuture
        for case .query(let q) in fifo[fifoHead...] where !q.isDone { next = min(next, q.deadline) }
        if next == .distantFuture { loop.timers.cancel(timer) } else { loop.timers.arm(timer, at: next) }
    }
}
