import HTTP1
import Postgres
import Reactor
import Tracing
import Metrics
import OTLPExport

/// One service of the chain as a handler set: its routes, and its per-loop resources (a
/// database pool and a client to the next service), created on each loop by `start(on:)`.
public final class ChainService: @unchecked Sendable {
    public let name: ServiceName
    let pgConfig: PGConfig
    let pgParams: PGConnectParams
    let next: (address: SocketAddress, host: String, port: Int)?
    /// Looks the next service's host up again when the clients cannot connect to it.
    let nextResolver: UpstreamResolver?
    let tracer: (EventLoop) -> Tracer
    let metrics: ServiceMetrics?
    let loops: PerLoop<ServiceLoop>
    /// One per loop, made here so the metrics can read them from the first scrape on.
    let poolStats: [PGPoolStats]

    /// Resolves the database host and the next service's address here, off the loops.
    public init(name: ServiceName, loopCount: Int, databaseURL: String, connectionsPerLoop: Int,
                nextURL: String?, metrics: ServiceMetrics?, tracer: @escaping (EventLoop) -> Tracer) throws {
        self.name = name
        var c = PGConfig()
        c.connectionsPerLoop = connectionsPerLoop
        c.serverTimeouts = (Budget.statementTimeoutMs, Budget.lockTimeoutMs, Budget.idleInTransactionMs)
        c.minWriteBudget = Budget.minWrite
        pgConfig = c
        pgParams = try PGConnectParams.parse(databaseURL)
        if let nextURL {
            guard let url = HTTPURL(nextURL) else { throw ServiceConfigError(description: "next service URL must be http://host:port, got \(nextURL)") }
            next = (try SocketAddress.resolve(host: url.host, port: url.port), url.hostHeader, url.port)
            nextResolver = UpstreamResolver(host: url.host, port: url.port)
        } else {
            next = nil
            nextResolver = nil
        }
        self.metrics = metrics
        self.tracer = tracer
        loops = PerLoop(count: loopCount)
        poolStats = (0..<loopCount).map { _ in PGPoolStats(configured: max(1, connectionsPerLoop)) }
        if let metrics { registerPoolMetrics(on: metrics.registry) }
    }

    /// On the loop's thread, before it serves.
    public func start(on loop: EventLoop) {
        let pool = PGPool(loop: loop, config: pgConfig, params: pgParams, statements: SQL.statements,
                          stats: poolStats[loop.index])
        pool.start()
        let client = next.map { HTTPClient(loop: loop, address: $0.address, hostHeader: $0.host) }
        if let client { nextResolver?.watch(client) }
        loops[loop] = ServiceLoop(loop: loop, service: name, pool: pool, tracer: tracer(loop), next: client,
                                  nextPort: next?.port ?? 0, metrics: metrics)
        if loop.index == 0 { scheduleKeyCleanup(pool, loop) }
    }

    /// Expired idempotency keys (user-service) and token rows (order, audit) are deleted in
    /// batches of at most 500 once a minute, skipping rows in use: a request never waits for it.
    private func scheduleKeyCleanup(_ pool: PGPool, _ loop: EventLoop) {
        _ = loop.schedule(afterNanos: Self.keyCleanupInterval) { [self] in
            let (sql, params): (SQL, [PGParam]) = name == .user
                ? (.expireKeys, [])
                : (.expireRows, [.text(name == .order ? "order" : "audit")])
            pool.query(sql.rawValue, params, deadline: loop.now &+ Budget.database) { _ in }
            scheduleKeyCleanup(pool, loop)
        }
    }

    static let keyCleanupInterval: UInt64 = 60_000_000_000

    public func register(on router: Router) {
        router.add(.POST, "/process") { [self] req, res in
            guard let L = loops[res.loop] else { return res.respond(status: 503, body: "{}") }
            switch name {
            case .user: UserProcess.run(L, req, res)
            case .order: OrderProcess.run(L, req, res)
            case .audit: AuditProcess.run(L, req, res)
            }
        }
        ReadEndpoints.register(self, on: router)
        router.add(.GET, "/health", admission: .always) { [self] _, res in
            guard let L = loops[res.loop] else { return res.respond(status: 503, body: "{}") }
            L.pool.query(SQL.ping.rawValue, deadline: res.loop.now &+ Budget.database) { [name] result in
                var w = JSONWriter(capacity: 96)
                w.beginObject()
                if case .success = result {
                    w.field("status", "ok")
                } else {
                    w.field("status", "unavailable")
                }
                w.field("service", name.rawValue)
                w.key("checks")
                w.beginObject()
                if case .success = result { w.field("database", "ok") } else { w.field("database", "unavailable") }
                w.endObject()
                w.endObject()
                let ok: Bool = { if case .success = result { return true }; return false }()
                res.respond(status: ok ? 200 : 503, body: w.bytes)
            }
        }
    }
}
