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
            syncsOwed -= 1
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
                    heldWrites.append((.query(q), res))   // final only when the Sync confirms the commit
                } else {
                    q.finish(.success(PGRows(result: res)), pool.statements)
                    PQclear(res)
                }
            case PGRES_PIPELINE_ABORTED:
                aborted.append(q)
                PQclear(res)
            default:
                batchFailed = true
                q.finish(.failure(.server(sqlState: Self.sqlState(res), message: Self.message(res))), pool.statements)
                PQclear(res)
            }
        case .group(let g):
            switch status {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                if pool.statements[g.statement].isWrite {
                    heldWrites.append((.group(g), res))
                } else {
                    deliver(g, res)
                    PQclear(res)
                }
            case PGRES_PIPELINE_ABORTED:
                aborted.append(contentsOf: g.queries)
                PQclear(res)
            default:
                // One statement for all its rows: nothing of it ran, and the error may be any
                // row's. Sent again one by one, the row at fault gets its own error and its
                // batch-mates commit, as if they had never been together.
                batchFailed = true
                split.append(contentsOf: g.queries)
                PQclear(res)
            }
        }
    }

    /// Hands each query of a multi-row statement its rows of the result (`PGMultiRow.Split`).
    /// An `inOrder` result without exactly one row per query cannot be matched: its reads are
    /// sent again alone; its writes (committed, but whose is which?) fail as `connectionLost`,
    /// outcome unknown. Only a wrong multi-row statement can do that.
    private func deliver(_ g: PGGroup, _ res: OpaquePointer) {
        let statements = pool.statements
        let stmt = statements[g.statement]
        let n = PQntuples(res)
        switch stmt.multiRow?.split ?? .inOrder {
        case .inOrder:
            guard Int(n) == g.queries.count else {
                pool.log("multi-row \(stmt.name) returned \(n) rows for \(g.queries.count) queries")
                for q in g.queries {
                    if stmt.isWrite { q.finish(.failure(.connectionLost), statements) } else { pool.resendAlone(q) }
                }
                return
            }
            for (i, q) in g.queries.enumerated() {
                q.finish(.success(PGRows(result: res, first: Int32(i), count: 1)), statements)
            }
        case .byKey(let column, let param):
            // Keys are unique among the rows (a point read): the first row with a key is its row.
            var byInt: [Int64: Int32] = [:]
            var byText: [String: Int32] = [:]
            let all = PGRows(result: res)
            let textKeys = g.queries.contains { q in
                if param < q.params.count, case .text = q.params[param] { return true }
                return false
            }
            for r in 0..<n where !all.isNull(Int(r), column) {
                let b = all.bytes(Int(r), column)
                if let v = PGDecode.int64(b), byInt[v] == nil { byInt[v] = r }
                if textKeys {
                    let t = String(decoding: b, as: UTF8.self)
                    if byText[t] == nil { byText[t] = r }
                }
            }
            for q in g.queries {
                var row: Int32?
                if param < q.params.count {
                    switch q.params[param] {
                    case .int(let v): row = byInt[v]
                    case .text(let t): row = byText[t]
                    case .null: row = nil
                    }
                }
                let rows = row.map { PGRows(result: res, first: $0, count: 1) } ?? PGRows(result: res, first: 0, count: 0)
                q.finish(.success(rows), statements)
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
        let alone = split
        if !split.isEmpty { split.removeAll(keepingCapacity: true) }
        let failed = batchFailed
        batchFailed = false
        if state == .preparing {
            if failed { return lost("could not prepare statements") }
            state = .ready
            backoff = .zero
            loop.timers.cancel(timer)
            pool.connectionReady(self)
        }
        for (e, res) in held {
            switch e {
            case .query(let q):
                if failed { pool.retry(q) } else { q.finish(.success(PGRows(result: res)), pool.statements) }
            case .group(let g):
                if failed { for q in g.queries { pool.retry(q) } } else { deliver(g, res) }
            case .prepare, .sync, .deadlineGuard:
                break
            }
            PQclear(res)
        }
        for q in again { pool.retry(q) }
        for q in alone { pool.resendAlone(q) }
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
        let alone = split
        let unsent = takeDeferred()
        fifo.removeAll()
        fifoHead = 0
        heldWrites.removeAll()
        aborted.removeAll()
        split.removeAll()
        headHasResult = false
        batchFailed = false
        unsynced = 0
        syncsOwed = 0
        guarded = false
        if fd >= 0 { loop.deregister(fd) }
        fd = -1
        if let c = conn { PQfinish(c) }   // closes the socket
        conn = nil
        let wasReady = state == .ready
        state = .down
        pool.connectionLost(self, wasReady: wasReady)   // before re-sending: not a candidate now
        let statements = pool.statements
        for (e, res) in held {
            PQclear(res)
            e.forEachQuery { $0.finish(.failure(.connectionLost), statements) }
        }
        // Handed back below, whatever the entries still say of them: an aborted query and the
        // rows of a failed multi-row statement ran nothing; a deferred one never left.
        var handedBack = Set<ObjectIdentifier>()
        for q in neverRan { handedBack.insert(ObjectIdentifier(q)) }
        for q in alone { handedBack.insert(ObjectIdentifier(q)) }
        for q in neverRan { pool.retry(q) }
        for q in alone { pool.resendAlone(q) }
        for q in unsent { pool.retry(q) }
        for e in entries {
            e.forEachQuery { q in
                guard !q.isDone && !handedBack.contains(ObjectIdentifier(q)) else { return }
                if statements[q.statement].isWrite { q.finish(.failure(.connectionLost), statements) } else { pool.retry(q) }
            }
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
        let statements = pool.statements
        let now = loop.now
        for e in fifo[fifoHead...] {
            e.forEachQuery { q in
                if !q.isDone && q.deadline <= now { q.finish(.failure(.timeout), statements) }
            }
        }
        // Still waiting for a batch: nothing of them left, so a write can say so.
        forEachDeferred { q in
            if !q.isDone && q.deadline <= now {
                q.finish(.failure(statements[q.statement].isWrite ? .notSent : .timeout), statements)
            }
        }
        if let dead = silentSince, dead <= loop.now {
            return lost("no answer from the server for \((loop.now - lastHeard).milliseconds) ms")
        }
        regatherIfSilent()
        armQueryTimer()
    }

    /// Queries held here while the server stays silent past `gatherWindow` (a slow statement,
    /// a lock wait) go to another connection rather than wait behind it.
    private func regatherIfSilent() {
        guard deferredCount > 0, isHolding, pool.config.gatherWindow > .zero,
              loop.now >= gatherUntil, pool.readyCount > 1 else { return }
        pool.regather(takeDeferred())
    }

    /// When the connection counts as dead if nothing arrives before: the later of the end of the
    /// allowed silence and the deadline of the first query still owed (the server is allowed its
    /// time). nil when nothing is owed. A sync owed with no query before it has no deadline of
    /// its own: only the silence counts.
    private var silentSince: Instant? {
        guard owed > 0 else { return nil }
        var owedDeadline = Instant(nanoseconds: 0)
        for e in fifo[fifoHead...] {
            switch e {
            case .query(let q): owedDeadline = q.deadline
            case .group(let g): owedDeadline = g.queries[0].deadline
            case .prepare, .sync, .deadlineGuard: continue
            }
            break
        }
        return max(lastHeard + pool.config.peerSilenceLimit, owedDeadline)
    }

    private func armQueryTimer() {
        guard state == .ready else { return }
        var next = silentSince ?? .distantFuture
        for e in fifo[fifoHead...] {
            e.forEachQuery { q in if !q.isDone { next = min(next, q.deadline) } }
        }
        if deferredCount > 0 {
            forEachDeferred { q in if !q.isDone { next = min(next, q.deadline) } }
            if isGathering && pool.readyCount > 1 { next = min(next, gatherUntil) }
        }
        if next == .distantFuture { loop.timers.cancel(timer) } else { loop.timers.arm(timer, at: next) }
    }
}
