import ArgumentParser
import ChainServices
import HTTP1
import Reactor
import Tracing
import Metrics
import OTLPExport

enum ServiceChoice: String, ExpressibleByArgument { case user, order, audit, all }

extension Serve {
    /// The chain's services on the loops: each with its own server (port), telemetry (so its
    /// spans carry its own service.name) and database pool; calls between them go over HTTP.
    func runServices(_ choice: ServiceChoice) throws {
        guard !databaseURL.isEmpty else { throw ValidationError("the services need DATABASE_URL or --database-url") }
        let env = processEnvironment()
        let names: [ServiceName] = choice == .all ? ServiceName.allCases : [ServiceName(choice)!]
        var servers: [HTTPServer] = []
        var starters: [(EventLoop) -> Void] = []
        var telemetries: [TelemetrySetup] = []
        for name in names {
            let telemetry = TelemetrySetup(loops: loops, serviceName: choice == .all ? name.rawValue : env["OTEL_SERVICE_NAME"] ?? name.rawValue,
                                           environment: env)
            let next = nextURL(for: name, all: choice == .all)
            let service = try ChainService(name: name, loopCount: loops, databaseURL: databaseURL, connectionsPerLoop: dbConnections,
                                           nextURL: next, metrics: telemetry.serviceMetrics) { loop in telemetry.tracers[loop.index] }
            let router = Router()
            service.register(on: router)
            MetricsHandler.register(on: router, registry: telemetry.metrics)
            if enableTestEndpoints { registerTestEndpoint(router, telemetry) }
            var config = serverConfig()
            // One service: --port/PORT when given, else the seed's port; all: the seed's ports.
            config.port = choice == .all || port == 8080 ? name.defaultPort : port
            let server = HTTPServer(config: config, router: router)
            try server.bind(loopCount: loops)
            let boundPort = server.port
            server.observerFactory = { loop in telemetry.observer(loop: loop, port: boundPort) }
            telemetry.registerAdmissionMetrics(server)
            servers.append(server)
            telemetries.append(telemetry)
            starters.append { loop in
                service.start(on: loop)
                server.start(on: loop)
            }
            log("\(name.rawValue) on \(host):\(server.port)\(next.map { " -> \($0)" } ?? "")")
        }
        try telemetries.forEach { try $0.start() }
        let group = LoopGroup(count: loops)
        try group.start { loop in starters.forEach { $0(loop) } }
        Lifecycle.runUntilSignal(group: group, servers: servers, timeout: UInt64(shutdownTimeout) * 1_000_000_000) { deadline in
            telemetries.forEach { $0.shutdown(deadline: deadline) }
        }
    }

    private func nextURL(for name: ServiceName, all: Bool) -> String? {
        let sibling: ServiceName? = name == .user ? .order : name == .order ? .audit : nil
        guard let sibling else { return nil }
        if !all && !nextServiceURL.isEmpty { return nextServiceURL }
        return "http://127.0.0.1:\(sibling.defaultPort)"
    }

    func serverConfig() -> ServerConfig {
        var config = ServerConfig()
        config.host = host
        config.keepAliveTimeout = UInt64(keepAliveTimeout) * 1_000_000_000
        config.headerTimeout = UInt64(headerTimeout) * 1_000_000_000
        config.maxConnections = maxConnections
        config.maxInFlight = maxInFlight
        return config
    }
}

extension ServiceName {
    init?(_ c: ServiceChoice) {
        switch c {
        case .user: self = .user
        case .order: self = .order
        case .audit: self = .audit
        case .all: return nil
        }
    }

    /// The seed's ports.
    var defaultPort: Int {
        switch self {
        case .user: return 5001
        case .order: return 5002
        case .audit: return 5003
        }
    }
}
