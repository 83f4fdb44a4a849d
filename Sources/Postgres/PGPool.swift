import CLibPQ
import Glibc
import Reactor

/// The database connections of one loop. Queries go to the ready connection with the fewest
/// in flight, except that those of multi-row statements gather where a batch is in flight
/// (`PGConfig.gatherWindow`); with none ready they wait (FIFO) until one is, or until their
/// deadline.
public final class PGPool {
    public let loop: EventLoop
    let config: PGConfig
    let statements: [PGStatement]
    /// The prepared name of each statement's multi-row form; nil: none, or
    /// `PGConfig.multiRowStatements` is off.
    let multiRowNames: [String?]
    private(set) var params: PGConnectParams
    private(set) var cParams: CConnectParams
    /// Looks the host name up again after a failed connect; nil when the user gave `hostaddr`.
    private var resolver: UpstreamResolver?
    private var connections: [PGConnection] = []
    private var ready: [PGConnection] = []
    private var waiting: [PGQuery] = []
    private lazy var waitTimer = LoopTimer { [unowned self] in self.expireWaiting() }
    private var closed = false
    /// Occupancy for the metrics; readable from any thread.
    public let stats: PGPoolStats
    public var logger: (String) -> Void = { msg in
        var line = "postgres: \(msg)\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// `params` come from `PGConnectParams.parse` (resolved off the loop). `stats` may be made
    /// beforehand, so a metrics scrape can hold it before the loop creates the pool.
    public init(loop: EventLoop, config: PGConfig, params: PGConnectParams, statements: [PGStatement],
                stats: PGPoolStats? = nil) {
        self.loop = loop
        self.config = config
        self.statements = statements
        multiRowNames = statements.map { config.multiRowStatements && $0.multiRow != nil ? $0.name + "_rows" : nil }
        var params = params
        if let t = config.serverTimeouts {
            params.set("options", ((params.get("options") ?? "") + " -c statement_timeout=\(t.statement) -c lock_timeout=\(t.lock)"
                + " -c idle_in_transaction_session_timeout=\(t.idleInTransaction)").trimmingSpaces)
        }
        self.params = params
        cParams = CConnectParams(params)
        self.stats = stats ?? PGPoolStats(configured: max(1, config.connectionsPerLoop))
        if let (host, port) = params.resolvedHost {
            let resolver = UpstreamResolver(host: host, port: port)
            resolver.subscribe(on: loop) { [weak self] in self?.hostResolved($0) }
            self.resolver = resolver
        }
    }

    /// Opens the connections (on the loop's thread).
    public func start() {
        for _ in 0..<stats.configured {
            let c = PGConnection(pool: self)
            connections.append(c)
            c.connect()
        }
    }

    public var readyCount: Int { ready.count }

    /// Runs statement number `statement` with `params`; `completion` runs once on this loop.
    /// For a write, success means its transaction committed.
    public func query(_ statement: Int, _ params: [PGParam] = [], deadline: Instant,
                      _ completion: @escaping PGCompletion) {
        submit(statement, params, deadline, .plain(completion))
    }

    /// `query`, and the completion is also told how the query ran: alone, or as a row of its
    /// statement's multi-row form (the text that ran, the number of rows).
    public func query(_ statement: Int, _ params: [PGParam] = [], deadline: Instant,
                      run completion: @escaping PGRunCompletion) {
        submit(statement, params, deadline, .run(completion))
    }

    private func submit(_ statement: Int, _ params: [PGParam], _ deadline: Instant, _ completion: PGQuery.Completion) {
        let q = PGQuery(statement: statement, params: params, deadline: deadline, stats: stats, completion: completion)
        if let bad = params.firstIndex(where: { !$0.isSendable }) {
            return q.finish(.failure(.invalidParameter(bad + 1)), statements)
        }
        dispatch(q)
    }

    func dispatch(_ q: PGQuery) {
        if closed { return q.finish(.failure(.shuttingDown), statements) }
        if statements[q.statement].isWrite && config.minWriteBudget > .zero && q.deadline < loop.now + config.minWriteBudget {
            return q.finish(.failure(.notSent), statements)
        }
        if loop.now >= q.deadline { return q.finish(.failure(ready.isEmpty ? .unavailable : .timeout), statements) }
        guard var best = ready.first else {
            if waiting.count >= config.maxWaiting { return q.finish(.failure(.overloaded), statements) }
            waiting.append(q)
            stats.setPending(waiting.count)
            if !waitTimer.isArmed { loop.timers.arm(waitTimer, at: q.deadline) }
            return
        }
        // A query with a multi-row form joins the connection where others of its statement
        // already wait for this iteration's batch: together they make one statement. One that
        // holds them until its batch in flight is answered is left to the choice below.
        if multiRowNames[q.statement] != nil && !q.alone && ready.count > 1 {
            for c in ready where !c.isHolding {
                let n = c.deferred(of: q.statement)
                if n > 0 && n < config.maxRowsPerStatement { return c.send(q) }
            }
            // Else it gathers where a batch is on a server that still answers (`gatherWindow`).
            for c in ready where c.isGathering && c.deferred(of: q.statement) < config.maxRowsPerStatement {
                return c.send(q)
            }
        }
        for c in ready.dropFirst() where c.inFlight < best.inFlight { best = c }
        best.send(q)
    }

    /// Sends `q` again: a batch it belonged to failed (not its fault), its connection was lost
    /// before a read's result came, or it could not be queued at all.
    func retry(_ q: PGQuery) {
        if q.isDone { return }
        q.attempts += 1
        if q.attempts > config.maxRetries { return q.finish(.failure(.retriesExhausted), statements) }
        dispatch(q)
    }

    /// Queries gathered on `c` whose server went silent for `gatherWindow`: sent elsewhere.
    func regather(_ qs: [PGQuery]) {
        for q in qs where !q.isDone { dispatch(q) }
    }

    /// Sends `q` again on its own: the multi-row statement it was a row of failed, and only
    /// the rows sent one by one can tell whose fault it was (not counted as a retry: it happens
    /// once per query).
    func resendAlone(_ q: PGQuery) {
        if q.isDone { return }
        q.alone = true
        dispatch(q)
    }

    func connectionReady(_ c: PGConnection) {
        ready.append(c)
        stats.setReady(ready.count)
        let w = waiting
        waiting.removeAll()
        stats.setPending(0)
        loop.timers.cancel(waitTimer)
        for q in w { dispatch(q) }
    }

    func connectionLost(_ c: PGConnection, wasReady: Bool) {
        if wasReady { ready.removeAll { $0 === c } }
        stats.setReady(ready.count)
        // A connect failed: the server may have come back on another address.
        if !wasReady && !closed { resolver?.refresh() }
    }

    /// A lookup after a failed connect answered: later connects go to `address` if it moved.
    private func hostResolved(_ address: SocketAddress) {
        let text = address.numericHost
        guard !closed, text != params.get("hostaddr") else { return }
        log("\(params.get("host") ?? "host") now resolves to \(text)")
        params.set("hostaddr", text)
        cParams = CConnectParams(params)   // libpq copies them at each connect start
    }

    private func expireWaiting() {
        let now = loop.now
        var keep: [PGQuery] = []
        for q in waiting {
            if q.deadline <= now { q.finish(.failure(.unavailable), statements) } else if !q.isDone { keep.append(q) }
        }
        waiting = keep
        stats.setPending(keep.count)
        if let next = keep.map(\.deadline).min() { loop.timers.arm(waitTimer, at: next) }
    }

    func log(_ s: String) { logger(s) }

    /// Fails waiting queries and closes every connection.
    public func close() {
        closed = true
        for q in waiting { q.finish(.failure(.shuttingDown), statements) }
        waiting.removeAll()
        ready.removeAll()
        stats.setPending(0)
        stats.setReady(0)
        for c in connections { c.shutdown() }
    }
}

extension PGConnection {
    func shutdown() {
        loop.timers.cancel(timer)
        if fd >= 0 { loop.deregister(fd) }
        fd = -1
        let statements = pool.statements
        for e in fifo[fifoHead...] { e.forEachQuery { $0.finish(.failure(.shuttingDown), statements) } }
        for (e, res) in heldWrites { e.forEachQuery { $0.finish(.failure(.shuttingDown), statements) }; PQclear(res) }
        for q in takeDeferred() + aborted + split { q.finish(.failure(.shuttingDown), statements) }
        fifo.removeAll()
        fifoHead = 0
        heldWrites.removeAll()
        aborted.removeAll()
        split.removeAll()
        if let c = conn { PQfinish(c) }
        conn = nil
        state = .down
    }
}
