import ChainServices
import HTTP1
import Reactor

/// Everything `chain serve` is told, as plain values: the CLI parses flags into it, tests fill
/// it in directly, and `ChainApp` builds the process from it.
public struct ChainOptions: Sendable {
    /// What the process serves: the bare runtime (`/health`, `/metrics`) or services of the chain.
    public enum Serving: Sendable, Equatable {
        case runtime
        case services([ServiceName])
    }

    public var serving = Serving.runtime
    /// Listening address, timeouts and admission limits, shared by every server of the process.
    /// Its `port` is the bare runtime's, or a single service's when `portOverride` is set.
    public var server = ServerConfig()
    /// A single service listens on `server.port` instead of its seed port.
    public var portOverride = false
    /// Ports per service; the seed's (5001-5003) where not given. 0 picks a free port.
    public var servicePorts: [ServiceName: Int] = [:]
    public var loops = LoopGroup.coreCount
    /// The loops' kernel interface: `auto` (io_uring when allowed and preferred, else epoll),
    /// `epoll` or `uring`; CHAIN_IO_BACKEND when set.
    public var ioBackend = IOBackend.environmentDefault
    /// PostgreSQL URL (libpq form); required by the services, optional for the runtime (/health
    /// then checks it).
    public var databaseURL = ""
    public var dbConnectionsPerLoop = 2
    /// Where a single service's next hop listens; with several services in one process each
    /// calls its sibling here.
    public var nextServiceURL: String?
    /// `service.name` of the bare runtime's spans (OTEL_SERVICE_NAME wins).
    public var serviceName = "chain"
    /// The OpenTelemetry variables (and CHAIN_SPAN_*) the telemetry reads.
    public var environment: [String: String] = [:]
    /// False leaves spans in the loops' rings instead of exporting them (tests read them there).
    public var exportSpans = true
    /// Serve `POST /test` for the w3c/trace-context harness.
    public var enableTestEndpoints = false
    public var shutdownTimeout = TimeAmount.seconds(10)

    public init() {}
}
