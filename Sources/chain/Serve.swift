import ArgumentParser
import CSystem
import Glibc
import HTTP1
import Reactor
import Tracing
import Metrics
import OTLPExport

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve HTTP on the event loops.")


    @Option(help: "Address to listen on.") var host = "0.0.0.0"
    @Option(help: "Port to listen on (PORT in the environment is the default).")
    var port: Int = Int(getenv("PORT").map { String(cString: $0) } ?? "") ?? 8080
    @Option(help: "Event loops (threads); default one per core.") var loops: Int = LoopGroup.coreCount
    @Option(help: "Seconds to finish in-flight requests on SIGTERM/SIGINT.") var shutdownTimeout: Int = 10
    @Option(help: "Keep-alive idle timeout, seconds.") var keepAliveTimeout: Int = 60
    @Option(help: "Header read timeout, seconds.") var headerTimeout: Int = 10
    @Option(help: "PostgreSQL URL (libpq form); DATABASE_URL by default. With it, /health checks the database.")
    var databaseURL: String = getenv("DATABASE_URL").map { String(cString: $0) } ?? ""
    @Option(help: "PostgreSQL connections per loop.") var dbConnections: Int = 2
    @Option(help: "service.name of the spans and the `service` label of the metrics (OTEL_SERVICE_NAME wins).")
    var serviceName = "chain"
    @Flag(help: "Serve POST /test for the w3c/trace-context test harness.") var enableTestEndpoints = false
    @Option(help: "Serve a service of the chain: user, order, audit, or all three (on ports 5001-5003). Without it, the bare runtime (/health, /metrics).")
    var service: ServiceChoice?
    @Option(help: "Where the next service of the chain listens (NEXT_SERVICE_URL by default; user -> order -> audit).")
    var nextServiceURL: String = getenv("NEXT_SERVICE_URL").map { String(cString: $0) } ?? ""
    @Option(help: "Admission control: open connections per loop above which accepting pauses.")
    var maxConnections = ServerConfig().maxConnections
    @Option(help: "Admission control: requests being handled per loop above which a new one is answered 503 with Retry-After at once (health and metrics are never refused).")
    var maxInFlight = ServerConfig().maxInFlight

    func validate() throws {
        guard (1...256).contains(loops) else { throw ValidationError("--loops must be 1...256") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxInFlight >= 1 else { throw ValidationError("--max-in-flight must be at least 1") }
        try StartupChecks.check(self)
    }

    func run() throws {
        cs_block_signals()   // before any thread starts: every thread inherits the mask
        if let service { return try runServices(service) }
        var config = serverConfig()
        config.port = port
        let router = Router()
        let database = databaseURL.isEmpty ? nil
            : try Database(url: databaseURL, connectionsPerLoop: dbConnections, loops: loops)
        let env = processEnvironment()
        let telemetry = TelemetrySetup(loops: loops, serviceName: env["OTEL_SERVICE_NAME"] ?? serviceName, environment: env)
        HealthHandlers.register(on: router, database: database)
        MetricsHandler.register(on: router, registry: telemetry.metrics)
        if enableTestEndpoints { registerTestEndpoint(router, telemetry) }
        let server = HTTPServer(config: config, router: router)
        let group = LoopGroup(count: loops)
        try server.bind(loopCount: group.loops.count)
        let port = server.port
        server.observerFactory = { loop in telemetry.observer(loop: loop, port: port) }
        telemetry.registerAdmissionMetrics(server)
        try telemetry.start()
        try group.start { loop in
            database?.start(on: loop)
            server.start(on: loop)
        }
        log("chain listening on \(host):\(server.port) with \(group.loops.count) loops")
        Lifecycle.runUntilSignal(group: group, servers: [server], timeout: UInt64(shutdownTimeout) * 1_000_000_000) { deadline in
            telemetry.shutdown(deadline: deadline)
        }
    }

    /// Also on each service's router (ServeServices.swift): the harness runs against a real service.
    func registerTestEndpoint(_ router: Router, _ telemetry: TelemetrySetup) {
        var endpoints: [Int: TraceContextTestEndpoint] = [:]   // touched only on each loop's own key
        let lock = Lock()
        router.add(.POST, "/test") { req, res in
            guard let tracing = telemetry.tracing(on: res.loop) else { return res.respond(status: 503, body: "{}") }
            let endpoint = lock.withLock { () -> TraceContextTestEndpoint in
                if let e = endpoints[res.loop.index] { return e }
                let e = TraceContextTestEndpoint(tracing: tracing, loop: res.loop)
                endpoints[res.loop.index] = e
                return e
            }
            endpoint.handle(req, res)
        }
    }
}

func log(_ s: String) {
    var line = s + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

