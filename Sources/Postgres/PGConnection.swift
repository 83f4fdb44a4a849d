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
    /// A deadline guard was queued since the last Sync (one per batch).
    var guarded = false
    var headHasResult = false
    var batchFailed = false
    var heldWrites: [(PGQuery, OpaquePointer)] = []
    var aborted: [PGQuery] = []
    var backoff = TimeAmount.zero
    /// When the server last answered, or when it was last given work while idle: the start of
    /// its current silence (see `PGConfig.peerSilenceLimit`).
    var lastHeard = Instant(nanoseconds: 0)
    var paramBytes: [UInt8] = []
    var paramOffsets: [Int] = []
    lazy var timer = LoopTimer { [unowned self] in self.timerFired() }

    init(pool: PGPool) {
        self.pool = pool
        pool.loop.addTickObserver(self)
    }

    var loop: EventLoop { pool.loop }
    var inFlight: Int { fifo.count - fifoHead }

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
        for s in pool.statements {
            guard PQsendPrepare(c, s.name, s.sql, 0, nil) == 1 else { return lost("prepare failed: \(errorMessage)") }
            fifo.append(.prepare)
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

    /// Queues a query in libpq; the batch is closed by `tickEnded`.
    func send(_ q: PGQuery) {
        guard let c = conn, state == .ready else { return pool.retry(q) }
        let stmt = pool.statements[q.statement]
        if stmt.isWrite && pool.config.minWriteBudget > .zero && !guarded {
            guard sendGuard(c, notAfter: q.deadline - pool.config.minWriteBudget) else {
                lost("send failed: \(errorMessage)")
                return pool.retry(q)
            }
        }
        let ok = withParams(q.params) { n, values in
            PQsendQueryPrepared(c, stmt.name, n, values, nil, nil, 0)
        }
        guard ok == 1 else {
            lost("send failed: \(errorMessage)")
            return pool.retry(q)   // it never left: safe to send on another connection
        }
        if inFlight == 0 { lastHeard = loop.now }   // an idle server owed us nothing until now
        fifo.append(.query(q))
        unsynced += 1
        if !timer.isArmed { loop.timers.arm(timer, at: q.deadline) }
        if pool.config.syncEachQuery { sync() }
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
        if inFlight == 0 { lastHeard = loop.now }
        fifo.append(.deadlineGuard)
        unsynced += 1
        guarded = true
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
                paramBytes.append(contentsOf: String(v).utf8)
                paramBytes.append(0)
            case .text(let s):
                paramOffsets.append(paramBytes.count)
                paramBytes.append(contentsOf: s.utf8)
                paramBytes.append(0)
            }
        }
        return paramBytes.withUnsafeBufferPointer { raw in
            let base = UnsafeRawPointer(raw.baseAddress!).assumingMemoryBound(to: CChar.self)
            return withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: params.count) { ptrs in
                for (i, off) in paramOffsets.enumerated() { ptrs[i] = off < 0 ? nil : base + off }
                return body(Int32(params.count), UnsafePointer(ptrs.baseAddress))
            }
        }
    }

    /// End of a loop iteration: close the batch of queries queued during it with one Sync.
    func tickEnded() {
        if state == .ready && unsynced > 0 { sync() }
    }

    private func sync() {
        guard let c = conn else { return }
        guard PQpipelineSync(c) == 1 else { return lost("sync failed: \(errorMessage)") }
        fifo.append(.sync)
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
