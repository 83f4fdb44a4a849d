import CLibPQ
import Glibc
import Reactor

/// One libpq connection in non-blocking pipeline mode, driven by its loop. Queries are queued
/// in libpq as they come; at the end of the loop iteration one Sync closes the batch and flushes
/// it (libpq 15's PQpipelineSync flushes). Results are matched to the FIFO of entries sent.
final class PGConnection: IOHandler, TickObserver {
    enum State { case down, connecting, preparing, ready }

    let pool: PGPool   // strong: the loop keeps its connections (tick observers), they keep the pool
    var conn: OpaquePointer?
    var fd: Int32 = -1
    var state = State.down
    var fifo: [PipelineEntry] = []
    var fifoHead = 0
    var unsynced = 0
    /// Syncs sent whose PGRES_PIPELINE_SYNC has not come back: the batches in flight.
    var syncsOwed = 0
    /// A deadline guard was queued since the last Sync (one per batch).
    var guarded = false
    var headHasResult = false
    var batchFailed = false
    /// Successful writes (a query or a multi-row group) whose commit the Sync has yet to confirm.
    var heldWrites: [(PipelineEntry, OpaquePointer)] = []
    var aborted: [PGQuery] = []
    /// Rows of a multi-row statement that failed: sent again one by one after the batch.
    var split: [PGQuery] = []
    /// Queries of statements with a multi-row form, by statement, waiting for the end of the
    /// loop iteration to go out: together, as one statement, when there are two or more.
    var deferred: [[PGQuery]] = []
    var deferredCount = 0
    /// An emptied list with its capacity, swapped in for the one being sent.
    private var spare: [PGQuery] = []
    var backoff = TimeAmount.zero
    /// When the server last answered, or when it was last given work while idle: the start of
    /// its current silence (see `PGConfig.peerSilenceLimit`).
    var lastHeard = Instant(nanoseconds: 0)
    var paramBytes: [UInt8] = []
    var paramOffsets: [Int] = []
    var paramLengths: [Int32] = []   // binary parameters' lengths (text ones end at their NUL)
    var paramFormats: [Int32] = []   // 0 text, 1 binary
    let timer = LoopTimer {}   // made with the connection: a `lazy var` cost a check and a retain a use

    init(pool: PGPool) {
        self.pool = pool
        loop = pool.loop
        pool.loop.addTickObserver(self)
        timer.action = { [unowned self] in self.timerFired() }
    }

    let loop: EventLoop   // stored: a computed `pool.loop` cost a retain and a release a use
    /// Entries the server owes an answer for.
    var owed: Int { fifo.count - fifoHead }
    /// Load, for the pool's choice of connection: what is owed and what waits to go out.
    var inFlight: Int { owed + deferredCount }
    /// It has `PGConfig.maxBatchesInFlight` batches in flight: new queries wait here for the
    /// next batch, which goes out at the end of the iteration in which one is answered.
    var isHolding: Bool { pool.config.maxBatchesInFlight > 0 && syncsOwed >= pool.config.maxBatchesInFlight }
    /// Holding, and its server answered something within `PGConfig.gatherWindow`: queries of
    /// multi-row statements may wait here for the next batch.
    var isGathering: Bool { isHolding && loop.now < gatherUntil }
    /// When the server's silence ends this connection's gathering.
    var gatherUntil: Instant { lastHeard + pool.config.gatherWindow }

    func ioReady(_ events: IOEvents) {
        switch state {
        case .connecting:
            pollConnect()
        case .preparing, .ready:
            if events.contains(.writable) { flushOutput() }
            if state != .down && (events.contains(.readable) || events.contains(.hangup) || events.contains(.error)) {
                readResults()
            }
        case .down:
            break
        }
    }

    // MARK: connecting

    func connect() {
        conn = PQconnectStartParams(pool.cParams.keywords, pool.cParams.values, 0)
        guard let c = conn, PQstatus(c) != CONNECTION_BAD else { return lost("connect failed: \(errorMessage)") }
        state = .connecting
        fd = PQsocket(c)
        // libpq's contract: start as if PQconnectPoll had asked for writability.
        loop.register(fd, self, interest: .write)
        loop.timers.arm(timer, at: loop.now + pool.config.connectTimeout)
    }

    private func pollConnect() {
        guard let c = conn else { return }
        let r = PQconnectPoll(c)
        let newFD = PQsocket(c)
        if newFD != fd {   // libpq may switch sockets (another address, SSL retry)
            loop.deregister(fd)
            fd = newFD
            if fd >= 0 { loop.register(fd, self, interest: []) }
        }
        switch r {
        case PGRES_POLLING_READING: loop.setInterest(fd, .read)
        case PGRES_POLLING_WRITING: loop.setInterest(fd, .write)
        case PGRES_POLLING_OK: connected()
        default: lost("connect failed: \(errorMessage)")
        }
    }

    /// Enters pipeline mode and prepares every statement in one batch; ready at its Sync.
    private func connected() {
        guard let c = conn, PQsetnonblocking(c, 1) == 0, PQenterPipelineMode(c) == 1 else {
            return lost("cannot enter pipeline mode: \(errorMessage)")
        }
        state = .preparing
        for (i, s) in pool.statements.enumerated() {
            guard PQsendPrepare(c, s.name, s.sql, 0, nil) == 1 else { return lost("prepare failed: \(errorMessage)") }
            fifo.append(.prepare)
            if let name = pool.multiRowNames[i], let m = s.multiRow {
                guard PQsendPrepare(c, name, m.sql, 0, nil) == 1 else { return lost("prepare failed: \(errorMessage)") }
                fifo.append(.prepare)
            }
        }
        if pool.config.minWriteBudget > .zero {
            guard PQsendPrepare(c, Self.guardName, Self.guardStatement, 0, nil) == 1 else { return lost("prepare failed: \(errorMessage)") }
            fifo.append(.prepare)
        }
        unsynced = 1
        loop.timers.arm(timer, at: loop.now + pool.config.connectTimeout)
        sync()
    }

    var errorMessage: String {
        guard let c = conn, let m = PQerrorMessage(c) else { return "no connection" }
        return String(cString: m).trimmingSpaces.replacingNewlines
    }

    // MARK: sending

    /// Queues a query in libpq; the batch is closed by `tickEnded`. A query of a statement with
    /// a multi-row form waits for the end of the iteration (`flushDeferred`), when it goes out
    /// with the iteration's other queries of its statement on this connection, as one
    /// statement. A write batch that goes behind one in flight starts with the deadline guard
    /// (`needsGuard`), from the earliest deadline of the writes known when it goes.
    ///
    /// A query sent `alone` (a row of a failed multi-row statement) runs in a batch of its own,
    /// between two Syncs: it commits or fails by itself, so several bad rows of one failed
    /// statement each get their own error in one round, and the good ones commit.
    func send(_ q: PGQuery) {
        guard let c = conn, state == .ready else { return pool.retry(q) }
        let ownBatch = q.alone && !pool.config.syncEachQuery
        if ownBatch && unsynced > 0 {
            sync()
            guard conn != nil, state == .ready else { return pool.retry(q) }
        }
        if pool.multiRowNames[q.statement] != nil && !q.alone && !pool.config.syncEachQuery {
            if deferred.isEmpty { deferred = Array(repeating: [], count: pool.statements.count) }
            deferred[q.statement].append(q)
            deferredCount += 1
            // It may wait here for a batch: until its deadline, or while gathered, until the
            // server's silence sends it elsewhere.
            let gathered = isGathering && pool.readyCount > 1
            loop.timers.arm(timer, atOrBefore: gathered ? min(q.deadline, gatherUntil) : q.deadline)
            return
        }
        if pool.statements[q.statement].isWrite && needsGuard {
            guard sendGuard(c, notAfter: q.deadline - pool.config.minWriteBudget) else {
                lost("send failed: \(errorMessage)")
                return pool.retry(q)
            }
        }
        sendAlone(c, q)
        if ownBatch && conn != nil && state == .ready { sync() }
    }

    /// Sends `q` with the statement's own text. False when the connection was lost (and `q`
    /// handed back to the pool).
    @discardableResult
    private func sendAlone(_ c: OpaquePointer, _ q: PGQuery) -> Bool {
        let stmt = pool.statements[q.statement]
        let ok = withParams(q.params) { n, values in
            PQsendQueryPrepared(c, stmt.name, n, values, nil, nil, 0)
        }
        guard ok == 1 else {
            lost("send failed: \(errorMessage)")
            pool.retry(q)   // it never left: safe to send on another connection
            return false
        }
        q.batchSize = 1
        sent(.query(q), deadline: q.deadline)
        return true
    }

    /// Sends `qs` (two or more, one statement) as the statement's multi-row form.
    @discardableResult
    private func sendGroup(_ c: OpaquePointer, _ qs: ArraySlice<PGQuery>) -> Bool {
        let statement = qs.first!.statement
        let name = pool.multiRowNames[statement]!
        let elements = pool.statements[statement].multiRow?.elements
        let ok = withArrayParams(qs, elements) { n, values, lengths, formats in
            PQsendQueryPrepared(c, name, n, values, lengths, formats, 0)
        }
        guard ok == 1 else {
            lost("send failed: \(errorMessage)")
            for q in qs { pool.retry(q) }
            return false
        }
        var first = Instant.distantFuture
        for q in qs {
            q.batchSize = qs.count
            first = min(first, q.deadline)
        }
        pool.stats.multiRowSent(rows: qs.count)
        sent(.group(PGGroup(statement: statement, queries: Array(qs))), deadline: first)
        return true
    }

    private func sent(_ e: PipelineEntry, deadline: Instant) {
        if owed == 0 { lastHeard = loop.now }   // an idle server owed us nothing until now
        fifo.append(e)
        unsynced += 1
        if !timer.isArmed { loop.timers.arm(timer, at: deadline) }
        if pool.config.syncEachQuery { sync() }
    }

    /// Sends the queries that waited for the end of the iteration: per statement, one alone,
    /// two or more as its multi-row form (`PGConfig.maxRowsPerStatement` rows at most each).
    /// Queries whose parameter count differs from the first's go alone (the server says why).
    private func flushDeferred() {
        guard deferredCount > 0 else { return }
        if !guardDeferredWrites() { return }
        for s in 0..<deferred.count where !deferred[s].isEmpty {
            var qs = spare
            spare = []
            swap(&qs, &deferred[s])   // the list's buffer is reused: no allocation per batch
            deferredCount -= qs.count
            send(statement: s, qs)
            qs.removeAll(keepingCapacity: true)
            spare = qs
        }
    }

    /// A write queued now needs the deadline guard (`PGConfig.minWriteBudget`) before it: its
    /// batch goes behind one still on the server, which may hold it there past its budget. On a
    /// connection with no batch in flight the batch starts on arrival, within the iteration;
    /// the pool checked the budget when the write came, and `guardDeferredWrites` when it waited.
    var needsGuard: Bool { pool.config.minWriteBudget > .zero && !guarded && syncsOwed > 0 }

    /// Before the deferred queries go out: a write whose budget ran out while it waited here
    /// fails unsent; behind a batch in flight, the others get the deadline guard, from the
    /// earliest of their deadlines. False when the connection was lost (the deferred queries
    /// were handed back to the pool).
    private func guardDeferredWrites() -> Bool {
        guard let c = conn, pool.config.minWriteBudget > .zero else { return true }
        let statements = pool.statements
        let latest = loop.now + pool.config.minWriteBudget
        forEachDeferred { q in
            if statements[q.statement].isWrite && !q.isDone && q.deadline < latest { q.finish(.failure(.notSent), statements) }
        }
        guard needsGuard else { return true }
        var first = Instant.distantFuture
        forEachDeferred { q in if statements[q.statement].isWrite && !q.isDone { first = min(first, q.deadline) } }
        guard first < .distantFuture else { return true }
        if sendGuard(c, notAfter: first - pool.config.minWriteBudget) { return true }
        lost("send failed: \(errorMessage)")
        return false
    }

    private func send(statement s: Int, _ queued: [PGQuery]) {
        var all = queued
        var live = 0
        for i in all.indices where !all[i].isDone { live += 1 }
        if live < all.count { all.removeAll { $0.isDone } }   // expired while held
        guard !all.isEmpty else { return }
        let most = max(2, pool.config.maxRowsPerStatement)
        let n = all[0].params.count
        var qs = all[...]
        var uniform = true
        for q in all where q.params.count != n { uniform = false }
        if !uniform {
            for q in all where q.params.count != n { sendOrHandBack(q) }
            qs = all.filter { $0.params.count == n }[...]
        }
        var start = qs.startIndex
        while start < qs.endIndex {
            let end = min(qs.endIndex, start + most)
            let chunk = qs[start..<end]
            start = end
            guard let c = conn, state == .ready else {
                for q in chunk { pool.retry(q) }   // lost while flushing: these never left
                continue
            }
            // No Sync comes between `guardDeferredWrites` and here: its guard covers every chunk.
            if chunk.count == 1 { sendAlone(c, chunk[chunk.startIndex]) } else { sendGroup(c, chunk) }
        }
    }

    /// Calls `body` with every query waiting here to go out. Indices, not iterators: the hot path
    /// is pinned by allocation counts in debug builds, where nested array iterators allocate.
    func forEachDeferred(_ body: (PGQuery) -> Void) {
        for s in deferred.indices {
            for i in deferred[s].indices { body(deferred[s][i]) }
        }
    }

    /// Queries of `statement` waiting here for the end of the iteration.
    func deferred(of statement: Int) -> Int { deferred.isEmpty ? 0 : deferred[statement].count }

    private func sendOrHandBack(_ q: PGQuery) {
        guard let c = conn, state == .ready else { return pool.retry(q) }
        sendAlone(c, q)
    }

    /// Empties the queries waiting to go out (they never left), for a lost or closed connection.
    func takeDeferred() -> [PGQuery] {
        deferredCount = 0
        var all: [PGQuery] = []
        for s in deferred.indices where !deferred[s].isEmpty {
            all.append(contentsOf: deferred[s])
            deferred[s].removeAll()
        }
        return all
    }

    /// The deadline guard (`PGConfig.minWriteBudget`): a batch whose first write would start on
    /// the server after `notAfter` (queued behind a blocked batch on this connection) fails at
    /// once instead: its writes are then sent again or fail unsent, and none of them can commit
    /// after its client deadline. `random() * 0` keeps the division from being folded at plan
    /// time. Wall clock: the service's and the server's clocks are taken to agree to within the
    /// 100 ms that `minWriteBudget` keeps above statement_timeout.
    static let guardName = "chain_deadline_guard"
    static let guardStatement = "SELECT CASE WHEN clock_timestamp() <= to_timestamp($1::float8) THEN 0 ELSE 1 / (random() * 0)::int END"

    private func sendGuard(_ c: OpaquePointer, notAfter: Instant) -> Bool {
        let wallNanos = Int64(Reactor.wallNanos()) + Int64(notAfter.nanoseconds) - Int64(loop.now.nanoseconds)
        let text = String(wallNanos / 1_000_000_000) + "." + String(1_000_000_000 + wallNanos % 1_000_000_000).dropFirst()
        let ok = text.withCString { value -> Int32 in
            var values: [UnsafePointer<CChar>?] = [value]
            return PQsendQueryPrepared(c, Self.guardName, 1, &values, nil, nil, 0)
        }
        guard ok == 1 else { return false }
        if owed == 0 { lastHeard = loop.now }
        fifo.append(.deadlineGuard)
        unsynced += 1
        guarded = true
        pool.stats.guardSent()
        return true
    }

    /// Text-format parameters as C strings packed in one reused buffer. libpq reads each up to
    /// its NUL; `PGPool.query` refused values holding one, so every value arrives whole.
    private func withParams(_ params: [PGParam], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32) -> Int32 {
        if params.isEmpty { return body(0, nil) }
        paramBytes.removeAll(keepingCapacity: true)
        paramOffsets.removeAll(keepingCapacity: true)
        for p in params {
            switch p {
            case .null: paramOffsets.append(-1)
            case .int(let v):
                paramOffsets.append(paramBytes.count)
                PGArrayText.appendDecimal(v, to: &paramBytes)
                paramBytes.append(0)
            case .text(let s):
                paramOffsets.append(paramBytes.count)
                paramBytes.append(contentsOf: s.utf8)
                paramBytes.append(0)
            }
        }
        return withPackedParams(body)
    }

    /// The multi-row form's parameters: `$n` is the array of every query's `$n`, in the
    /// queries' order: in binary format where the statement declares its element type
    /// (`PGArrayBinary`), else in text format (`PGArrayText`).
    private func withArrayParams(_ qs: ArraySlice<PGQuery>, _ elements: [PGArrayElement]?,
                                 _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?,
                                          UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> Int32) -> Int32 {
        let n = qs.first!.params.count
        if n == 0 { return body(0, nil, nil, nil) }
        paramBytes.removeAll(keepingCapacity: true)
        paramOffsets.removeAll(keepingCapacity: true)
        paramLengths.removeAll(keepingCapacity: true)
        paramFormats.removeAll(keepingCapacity: true)
        let first = qs.startIndex
        for j in 0..<n {
            let start = paramBytes.count
            paramOffsets.append(start)
            if let elements, j < elements.count,
               PGArrayBinary.append(count: qs.count, of: elements[j], to: &paramBytes, { qs[first + $0].params[j] }) {
                paramLengths.append(Int32(paramBytes.count - start))
                paramFormats.append(1)
                continue
            }
            paramBytes.append(UInt8(ascii: "{"))
            for i in qs.indices {
                if i != first { paramBytes.append(UInt8(ascii: ",")) }
                PGArrayText.appendElement(qs[i].params[j], to: &paramBytes)
            }
            paramBytes.append(UInt8(ascii: "}"))
            paramBytes.append(0)
            paramLengths.append(0)
            paramFormats.append(0)
        }
        return withPackedParams { count, values in
            paramLengths.withUnsafeBufferPointer { lengths in
                paramFormats.withUnsafeBufferPointer { formats in body(count, values, lengths.baseAddress, formats.baseAddress) }
            }
        }
    }

    /// Calls `body` with C-string pointers into `paramBytes` at `paramOffsets` (-1: NULL).
    private func withPackedParams(_ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32) -> Int32 {
        let count = paramOffsets.count
        return paramBytes.withUnsafeBufferPointer { raw in
            let base = raw.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            return withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: count) { ptrs in
                for (i, off) in paramOffsets.enumerated() { ptrs[i] = off < 0 ? nil : base.map { $0 + off } }
                return body(Int32(count), UnsafePointer(ptrs.baseAddress))
            }
        }
    }

    /// End of a loop iteration: close the batch of queries queued during it with one Sync,
    /// unless `isHolding`: then they wait for the iteration in which a batch is answered.
    func tickEnded() {
        guard state == .ready, !isHolding else { return }
        flushDeferred()
        if state == .ready && unsynced > 0 { sync() }
    }

    private func sync() {
        guard let c = conn else { return }
        guard PQpipelineSync(c) == 1 else { return lost("sync failed: \(errorMessage)") }
        fifo.append(.sync)
        syncsOwed += 1
        unsynced = 0
        guarded = false
        flushOutput()
    }

    /// Flushes libpq's output; while it cannot all be sent, wait for writability but keep
    /// reading, so neither side's buffers can fill up and deadlock.
    func flushOutput() {
        guard let c = conn else { return }
        switch PQflush(c) {
        case 0: loop.setInterest(fd, .read)
        case 1: loop.setInterest(fd, [.read, .write])
        default: lost("flush failed: \(errorMessage)")
        }
    }
}

extension String {
    var replacingNewlines: String { String(map { $0 == "\n" ? " " : $0 }) }
}
