/// The metric names of the contract (API.md, "Metrics") and of the span pipeline, so every
/// service and the dashboards spell them the same way.
public enum MetricNames {
    public static let httpServerRequestDuration = "http_server_request_duration_seconds"
    public static let httpServerRequestLabels = ["service", "method", "route", "status"]
    public static let httpClientRequestDuration = "http_client_request_duration_seconds"
    public static let httpClientRequestLabels = ["service", "peer", "status"]
    public static let dbClientOperationDuration = "db_client_operation_duration_seconds"
    public static let dbClientOperationLabels = ["service", "operation", "table"]

    public static let spansStarted = "chain_spans_started_total"
    /// Spans refused because a loop's ring (or open-span table) was full.
    public static let spansDropped = "chain_spans_dropped_total"
    public static let spansExported = "chain_spans_exported_total"
    /// Spans given up after retries.
    public static let spansExportFailed = "chain_spans_export_failed_total"
    /// Failed export attempts.
    public static let spanExportFailures = "chain_span_export_failures_total"
    /// Spans waiting in each loop's ring.
    public static let spanRingOccupancy = "chain_span_ring_occupancy"
    public static let spanExportDuration = "chain_span_export_duration_seconds"
}

extension MetricsRegistry {
    /// Request durations from 0.5 ms to 10 s.
    public static let defaultDurationBuckets: [Double] =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
}

/// The three latency histograms of the contract, declared on one registry.
public struct ServiceMetrics: Sendable {
    public let serverDuration: HistogramFamily
    public let clientDuration: HistogramFamily
    public let dbDuration: HistogramFamily

    public init(registry: MetricsRegistry) {
        serverDuration = registry.histogram(
            MetricNames.httpServerRequestDuration, help: "Duration of inbound HTTP requests.",
            labels: MetricNames.httpServerRequestLabels)
        clientDuration = registry.histogram(
            MetricNames.httpClientRequestDuration, help: "Duration of outbound HTTP requests.",
            labels: MetricNames.httpClientRequestLabels)
        dbDuration = registry.histogram(
            MetricNames.dbClientOperationDuration, help: "Duration of database operations.",
            labels: MetricNames.dbClientOperationLabels)
    }
}
