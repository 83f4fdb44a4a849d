import Glibc
import HTTP1
import Metrics
import Postgres
import Reactor
import Tracing

/// One service of the chain as a handler set: its routes, and its per-loop resources (a
/// database pool and a client to the next service), made for every loop of the group here and
/// started on each loop by `start(on:)`.
public final class ChainService: @unchecked Sendable {
    // Sendable without a check: after init only `locals` is read, each value on its own loop,
    // and `poolStats`' counters are atomic.
    public let name: ServiceName
    let locals: LoopLocal<ServiceLoop>
    let metrics: ServiceMetrics?

    /// Resolves the database host and the next service's address here, off the loops.
    public init(name: ServiceName, group: LoopGroup, databaseURL: String, connectionsPerLoop: Int,
                nextURL: String?, metrics: ServiceMetrics?, tracers: LoopLocal<Tracer>) throws {
        self.name = name
        self.metrics = metrics
        var config = PGConfig()
        config.connectionsPerLoop = connectionsPerLoop
        config.serverTimeouts = (Budget.statementTimeoutMs, Budget.lockTimeoutMs, Budget.idleInTransactionMs)
        config.minWriteBudget = Budget.minWrite
        // `CHAIN_PG_BATCHES_IN_FLIGHT=0` sends every iteration's queries at once (to measure the hold).
        if let v = getenv("CHAIN_PG_BATCHES_IN_FLIGHT").flatMap({ Int(String(cString: $0)) }), v >= 0 {
            config.maxBatchesInFlight = v
        }
        // `CHAIN_PG_GATHER_MS=0` spreads the multi-row statements' queries over the connections
        // again (to measure the gathering).
        if let v = getenv("CHAIN_PG_GATHER_MS").flatMap({ Int(String(cString: $0)) }), v >= 0 {
            config.gatherWindow = .milliseconds(UInt64(v))
        }
        let params = try Self.connectParams(databaseURL, service: name)
        let next = try nextURL.map { try Upstream(url: $0) }
        locals = LoopLocal(group) { loop in
            let stats = PGPoolStats(configured: max(1, connectionsPerLoop))
            let pool = PGPool(loop: loop, config: config, params: params, statements: SQL.statements, stats: stats)
            let client = next.map { NextService(client: $0.client(on: loop), port: $0.port, service: name, metrics: metrics) }
            return ServiceLoop(loop: loop, service: name, pool: pool, poolStats: stats, tracer: tracers[loop],
                               next: client, metrics: metrics)
        }
        if let metrics { registerPoolMetrics(on: metrics.registry) }
    }

    /// The database URL's parameters as this service connects with them:
    /// - `application_name` is the service, so pg_stat_activity (and a per-service split of the
    ///   server's CPU) tells the services' backends apart;
    /// - generic plans: by default PostgreSQL plans a prepared statement again on every run while
    ///   a plan for the given values looks cheaper, as it does for `id = ANY($1)`. Planning was a
    ///   quarter of user-service's statement CPU (Perf/RESULTS.md), and every statement here has
    ///   one right plan whatever its values. It goes first, so the URL's own `options` win.
    static func connectParams(_ databaseURL: String, service: ServiceName) throws -> PGConnectParams {
        var params = try PGConnectParams.parse(databaseURL, applicationName: service.rawValue)
        params.set("options", "-c plan_cache_mode=force_generic_plan " + (params.get("options") ?? ""))
        return params
    }

    /// Every loop's pool has all its connections ready (readable from any thread).
    public var isReady: Bool { locals.all.allSatisfy { $0.poolStats.ready == $0.poolStats.configured } }

    /// On the loop's thread, before it serves.
    public func start(on loop: EventLoop) {
        let local = locals[loop]
        local.pool.start()
        if loop.index == 0 { scheduleKeyCleanup(local) }
    }

    /// Expired idempotency keys (user-service) and token rows (order, audit) are deleted in
    /// batches of at most 500 once a minute, skipping rows in use: a request never waits for it.
    private func scheduleKeyCleanup(_ local: ServiceLoop) {
        local.loop.schedule(after: Self.keyCleanupInterval) { [self] in
            let (sql, params): (SQL, [PGParam]) = name == .user
                ? (.expireKeys, [])
                : (.expireRows, [.text(name == .order ? "order" : "audit")])
            local.pool.query(sql.rawValue, params, deadline: local.loop.now + Budget.database) { _ in }
            scheduleKeyCleanup(local)
        }
    }

    static let keyCleanupInterval = TimeAmount.seconds(60)

    public func register(on router: Router) {
        router.add(.POST, "/process") { [self] req, res in
            switch name {
            case .user: UserProcess.run(locals[res.loop], req, res)
            case .order: OrderProcess.run(locals[res.loop], req, res)
            case .audit: AuditProcess.run(locals[res.loop], req, res)
            }
        }
        ReadEndpoints.register(self, on: router)
        router.add(.GET, "/health", admission: .always) { [self] req, res in
            Health.check(locals[res.loop].pool, ping: SQL.ping.rawValue, service: name.rawValue, deadline: req.context.deadline, res)
        }
    }
}

/// The next service's address, resolved once off the loops, and looked up again when a
/// loop's client cannot connect to it (a restarted container gets a new address).
struct Upstream {
    let address: SocketAddress
    let hostHeader: String
    let port: Int
    let resolver: UpstreamResolver

    init(url: String) throws {
        guard let parsed = HTTPURL(url) else {
            throw ServiceConfigError(description: "next service URL must be http://host:port, got \(url)")
        }
        address = try SocketAddress.resolve(host: parsed.host, port: parsed.port)
        hostHeader = parsed.hostHeader
        port = parsed.port
        resolver = UpstreamResolver(host: parsed.host, port: parsed.port)
    }

    func client(on loop: EventLoop) -> HTTPClient {
        let client = HTTPClient(loop: loop, address: address, hostHeader: hostHeader)
        resolver.watch(client)
        return client
    }
}
