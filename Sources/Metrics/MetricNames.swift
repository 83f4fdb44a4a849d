/// The metric names of the contract (API.md, "Metrics") and of the services' runtime, so every
/// service and the dashboards spell them the same way.
public enum MetricNames {
    public static let httpServerRequestDuration = "http_server_request_duration_seconds"
    public static let httpServerRequestLabels = ["service", "method", "route", "status"]
    public static let httpClientRequestDuration = "http_client_request_duration_seconds"
    public static let httpClientRequestLabels = ["service", "peer", "status"]
    public static let dbClientOperationDuration = "db_client_operation_duration_seconds"
    public static let dbClientOperationLabels = ["service", "operation", "table"]
    /// Failed database operations; `error_type` is the SQLSTATE or the client-side failure.
    public static let dbClientOperationErrors = "db_client_operation_errors_total"
    public static let dbClientOperationErrorLabels = ["service", "operation", "table", "error_type"]
    /// The pools' connections by state (`ready` or `not_ready`), summed over the loops.
    public static let dbClientConnections = "db_client_connections"
    public static let dbClientConnectionMax = "db_client_connection_max"
    /// Operations waiting for a ready connection.
    public static let dbClientConnectionPendingRequests = "db_client_connection_pending_requests"
    /// Operations handed to the pools and not completed (pending ones included).
    public static let dbClientOperationsInFlight = "db_client_operations_in_flight"

    /// Requests refused with 503 by admission control (`--max-in-flight`), and the times a
    /// loop stopped accepting (`--max-connections`, or out of descriptors or memory).
    public static let httpServerRequestsShed = "http_server_requests_shed_total"
    public static let httpServerAcceptPauses = "http_server_accept_pauses_total"
    public static let loopInterestFailures = "chain_loop_interest_failures_total"
    /// How long each event-loop iteration was busy (label `loop`): what a request arriving
    /// mid-iteration waits before its loop looks at it.
    public static let loopIterationDuration = "chain_loop_iteration_seconds"

    /// POST /process requests with an `Idempotency-Key`, by `outcome`: claimed (processed),
    /// replayed (the stored answer), mismatch (422), in_flight (409).
    public static let idempotencyRequests = "chain_idempotency_requests_total"
    public static let idempotencyRequestLabels = ["service", "outcome"]
}

extension MetricsRegistry {
    /// Request durations from 0.5 ms to 10 s.
    public static let defaultDurationBuckets: [Double] =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Loop iterations from 5 µs (a wake-up for one small request) to 250 ms (a stall).
    public static let loopIterationBuckets: [Double] =
        [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
         0.01, 0.025, 0.05, 0.1, 0.25]
}

/// The three latency histograms of the contract and the database error counter, declared on
/// one registry.
public struct ServiceMetrics: Sendable {
    public let serverDuration: HistogramFamily
    public let clientDuration: HistogramFamily
    public let dbDuration: HistogramFamily
    public let dbErrors: CounterFamily
    public let idempotencyRequests: CounterFamily
    public let registry: MetricsRegistry

    public init(registry: MetricsRegistry) {
        self.registry = registry
        serverDuration = registry.histogram(
            MetricNames.httpServerRequestDuration, help: "Duration of inbound HTTP requests.",
            labels: MetricNames.httpServerRequestLabels)
        clientDuration = registry.histogram(
            MetricNames.httpClientRequestDuration, help: "Duration of outbound HTTP requests.",
            labels: MetricNames.httpClientRequestLabels)
        dbDuration = registry.histogram(
            MetricNames.dbClientOperationDuration, help: "Duration of database operations.",
            labels: MetricNames.dbClientOperationLabels)
        dbErrors = registry.counter(
            MetricNames.dbClientOperationErrors, help: "Failed database operations.",
            labels: MetricNames.dbClientOperationErrorLabels)
        idempotencyRequests = registry.counter(
            MetricNames.idempotencyRequests, help: "POST /process requests with an Idempotency-Key, by outcome.",
            labels: MetricNames.idempotencyRequestLabels)
    }
}
