import ArgumentParser
import ChainRuntime
import ChainServices
import CSystem
import Glibc
import HTTP1
import Reactor

/// `chain serve`: flags in, `ChainOptions` out; `ChainApp` does the rest.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve HTTP on the event loops.")

    @Option(help: "Address to listen on.") var host = "0.0.0.0"
    @Option(help: "Port to listen on (PORT in the environment is the default).")
    var port: Int = Int(getenv("PORT").map { String(cString: $0) } ?? "") ?? 8080
    @Option(help: "Event loops (threads); default one per core this process may use (its CPU affinity and cgroup CPU quota count).") var loops: Int = LoopGroup.coreCount
    @Option(help: "The loops' kernel interface: epoll, uring (io_uring; fails when the kernel refuses it) or auto (the faster where available, see README). CHAIN_IO_BACKEND by default, else auto.")
    var ioBackend: String = IOBackend.environmentDefault.rawValue
    @Option(help: "Seconds to finish in-flight requests on SIGTERM/SIGINT.") var shutdownTimeout: Int = 10
    @Option(help: "Keep-alive idle timeout, seconds.") var keepAliveTimeout: Int = 60
    @Option(help: "Header read timeout, seconds.") var headerTimeout: Int = 10
    @Option(help: "The longest a request may take, seconds: its deadline, which order- and audit-service shorten to their caller's (X-Chain-Deadline-Ms). A handler late past it gets a 504 written for it.")
    var requestTimeout: Int = 12
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

    enum ServiceChoice: String, ExpressibleByArgument { case user, order, audit, all }

    func validate() throws {
        guard (1...256).contains(loops) else { throw ValidationError("--loops must be 1...256") }
        guard IOBackend(rawValue: ioBackend) != nil else { throw ValidationError("--io-backend must be epoll, uring or auto") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxInFlight >= 1 else { throw ValidationError("--max-in-flight must be at least 1") }
        try StartupChecks.check(self)
    }

    func run() throws {
        cs_block_signals()   // before any thread starts: every thread inherits the mask
        if service != nil && databaseURL.isEmpty { throw ValidationError("the services need DATABASE_URL or --database-url") }
        try ChainApp(options()).run()
    }

    func options() -> ChainOptions {
        var o = ChainOptions()
        o.server.host = host
        o.server.port = port
        o.server.keepAliveTimeout = .seconds(UInt64(keepAliveTimeout))
        o.server.headerTimeout = .seconds(UInt64(headerTimeout))
        o.server.requestTimeout = .seconds(UInt64(requestTimeout))
        o.server.maxConnections = maxConnections
        o.server.maxInFlight = maxInFlight
        switch service {
        case nil: o.serving = .runtime
        case .all?: o.serving = .services(ServiceName.allCases)
        case .user?: o.serving = .services([.user])
        case .order?: o.serving = .services([.order])
        case .audit?: o.serving = .services([.audit])
        }
        // One service: --port/PORT when given, else the seed's port; all: the seed's ports.
        o.portOverride = port != 8080
        o.loops = loops
        o.ioBackend = IOBackend(rawValue: ioBackend) ?? .auto
        o.databaseURL = databaseURL
        o.dbConnectionsPerLoop = dbConnections
        o.nextServiceURL = nextServiceURL.isEmpty ? nil : nextServiceURL
        o.serviceName = serviceName
        o.environment = processEnvironment()
        o.enableTestEndpoints = enableTestEndpoints
        o.shutdownTimeout = .seconds(UInt64(shutdownTimeout))
        return o
    }
}
