import ChainServices
import HTTP1
import Metrics
import Postgres
import Reactor
import Tracing

/// The process `chain serve` runs, assembled in one place from `ChainOptions`: the loop group;
/// for each service (or the bare runtime) its telemetry, router, server and handler set; the
/// lifecycle. The executable parses flags into options and calls `run`; tests build the same
/// thing with `init` and `start`, and stop it with `shutdown`.
public final class ChainApp {
    /// One server of the process with what it serves.
    public struct Unit {
        public let name: String
        public let server: HTTPServer
        public let telemetry: ProcessTelemetry
        let service: ChainService?
    }

    public let options: ChainOptions
    public let group: LoopGroup
    public private(set) var units: [Unit] = []
    private var runtimePools: LoopLocal<PGPool>?

    /// Binds every port and resolves every address (nothing runs yet): a bad option fails here.
    public init(_ options: ChainOptions) throws {
        self.options = options
        let (backend, fallback) = try options.ioBackend.resolved()
        if let why = fallback { log("io backend: \(why); auto uses epoll") }
        group = LoopGroup(count: options.loops, backend: backend)
        switch options.serving {
        case .runtime: try assembleRuntime()
        case .services(let names): try assembleServices(names)
        }
        measureLoopIterations()
    }

    /// Starts the exporters, then every loop (each starts its pools and servers on its thread).
    public func start() throws {
        try units.forEach { try $0.telemetry.start() }
        let units = self.units, pools = runtimePools
        try group.start { loop in
            pools?[loop].start()
            for u in units {
                u.service?.start(on: loop)
                u.server.start(on: loop)
            }
        }
    }

    /// `start`, then serve until SIGINT/SIGTERM and shut down within `shutdownTimeout`.
    public func run() throws {
        try start()
        for u in units { log("\(u.name) on \(options.server.host):\(u.server.port) with \(group.loops.count) \(group.loops.count == 1 ? "loop" : "loops") on \(group.loops[0].backend)") }
        let sig = Lifecycle.waitForSignal()
        log("signal \(sig): shutting down (deadline \(options.shutdownTimeout.milliseconds) ms)")
        shutdown()
        log("stopped")
    }

    /// Graceful shutdown from any thread (see `Lifecycle.shutdown`).
    public func shutdown() {
        let units = self.units
        Lifecycle.shutdown(group: group, servers: units.map(\.server), timeout: options.shutdownTimeout) { deadline in
            units.forEach { $0.telemetry.shutdown(deadline: deadline) }
        }
    }

    /// Every service's database connections are up and prepared (tests wait for it).
    public var servicesReady: Bool { units.allSatisfy { $0.service?.isReady ?? true } }

    public func port(of service: ServiceName) -> Int? { units.first { $0.name == service.rawValue }?.server.port }

    // MARK: assembly

    private func assembleRuntime() throws {
        let env = options.environment
        let telemetry = ProcessTelemetry(group: group, serviceName: env["OTEL_SERVICE_NAME"] ?? options.serviceName,
                                         environment: env, exportSpans: options.exportSpans)
        let router = Router()
        if options.databaseURL.isEmpty {
            router.add(.GET, "/health", admission: .always) { _, res in Health.alive(res) }
        } else {
            var config = PGConfig()
            config.connectionsPerLoop = options.dbConnectionsPerLoop
            let params = try PGConnectParams.parse(options.databaseURL)   // resolves here, not on a loop
            let pools = LoopLocal(group) { PGPool(loop: $0, config: config, params: params, statements: Health.statements) }
            runtimePools = pools
            router.add(.GET, "/health", admission: .always) { req, res in
                Health.check(pools[res.loop], ping: 0, service: nil, deadline: req.context.deadline, res)
            }
        }
        let server = try HTTPServer(config: options.server, router: router, group: group, tracers: telemetry.tracers)
        units.append(finishUnit(telemetry.serviceName, router, server, telemetry, nil))
    }

    /// Every server binds first (so a sibling's port is known when it is 0), then each service
    /// is made with its next hop's URL.
    private func assembleServices(_ names: [ServiceName]) throws {
        let env = options.environment
        var bound: [(ServiceName, Router, ProcessTelemetry, HTTPServer)] = []
        for name in names {
            // Several services in one process: each span carries its own service.name.
            let serviceName = names.count > 1 ? name.rawValue : env["OTEL_SERVICE_NAME"] ?? name.rawValue
            let telemetry = ProcessTelemetry(group: group, serviceName: serviceName, environment: env, exportSpans: options.exportSpans)
            var config = options.server
            config.port = options.portOverride && names.count == 1 ? options.server.port : options.servicePorts[name] ?? name.defaultPort
            if name.trustsCallerDeadline { config.callerDeadlineHeader = "x-chain-deadline-ms" }
            let router = Router()
            let server = try HTTPServer(config: config, router: router, group: group, tracers: telemetry.tracers)
            bound.append((name, router, telemetry, server))
        }
        for (name, router, telemetry, server) in bound {
            let service = try ChainService(name: name, group: group, databaseURL: options.databaseURL,
                                           connectionsPerLoop: options.dbConnectionsPerLoop, nextURL: nextURL(for: name, bound.map(\.0), bound.map(\.3)),
                                           metrics: telemetry.serviceMetrics, tracers: telemetry.tracers)
            service.register(on: router)
            units.append(finishUnit(name.rawValue, router, server, telemetry, service))
        }
    }

    private func nextURL(for name: ServiceName, _ names: [ServiceName], _ servers: [HTTPServer]) -> String? {
        guard let next = name.next else { return nil }
        if let i = names.firstIndex(of: next) { return "http://127.0.0.1:\(servers[i].port)" }
        return options.nextServiceURL ?? "http://127.0.0.1:\(next.defaultPort)"
    }

    /// `chain_loop_iteration_seconds` on every server's /metrics: the loops are the process's,
    /// shared by its services, so each registry (one per service) gets the same observations.
    private func measureLoopIterations() {
        let families = units.map {
            $0.telemetry.metrics.histogram(MetricNames.loopIterationDuration,
                                           help: "Time each event-loop iteration was busy (events, timers, tasks).",
                                           labels: ["loop"], buckets: MetricsRegistry.loopIterationBuckets)
        }
        for loop in group.loops {
            let handles = families.map { $0.handle(loop: loop.index, [String(loop.index)]) }
            // Indexed, not `for h in handles`: the iterator allocated once per iteration in a
            // debug build (HotPathAllocationTests).
            loop.onIterationEnded = { busy in for i in handles.indices { handles[i].observe(busy.seconds) } }
        }
    }

    /// The routes every server has (metrics, the test endpoint) and its measurements.
    private func finishUnit(_ name: String, _ router: Router, _ server: HTTPServer, _ telemetry: ProcessTelemetry,
                            _ service: ChainService?) -> Unit {
        MetricsEndpoint.register(on: router, registry: telemetry.metrics)
        if options.enableTestEndpoints {
            let endpoints = LoopLocal(group) { TraceContextTestEndpoint(tracer: telemetry.tracers[$0], loop: $0) }
            router.add(.POST, "/test") { req, res in endpoints[res.loop].handle(req, res) }
        }
        telemetry.measureRequests(of: server, group: group)
        telemetry.registerAdmissionMetrics(server)
        return Unit(name: name, server: server, telemetry: telemetry, service: service)
    }
}
