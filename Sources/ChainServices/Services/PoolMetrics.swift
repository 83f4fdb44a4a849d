import Postgres
import Tracing
import Metrics

extension ChainService {
    /// The database pools' occupancy as gauges, summed over the loops at scrape time.
    func registerPoolMetrics(on registry: MetricsRegistry) {
        let stats = locals.all.map(\.poolStats), service = name.rawValue
        registry.gauge(MetricNames.dbClientConnections,
                       help: "Database connections by state (ready: connected and prepared).",
                       labels: ["service", "state"]) {
            let ready = stats.reduce(0) { $0 + $1.ready }
            let all = stats.reduce(0) { $0 + $1.configured }
            return [(labelValues: [service, "ready"], value: Double(ready)),
                    (labelValues: [service, "not_ready"], value: Double(all - ready))]
        }
        registry.gauge(MetricNames.dbClientConnectionMax, help: "Database connections the pools keep open.",
                       labels: ["service"]) {
            [(labelValues: [service], value: Double(stats.reduce(0) { $0 + $1.configured }))]
        }
        registry.gauge(MetricNames.dbClientConnectionPendingRequests,
                       help: "Database operations waiting for a ready connection.", labels: ["service"]) {
            [(labelValues: [service], value: Double(stats.reduce(0) { $0 + $1.pending }))]
        }
        registry.gauge(MetricNames.dbClientOperationsInFlight,
                       help: "Database operations sent or waiting, not completed yet.", labels: ["service"]) {
            [(labelValues: [service], value: Double(stats.reduce(0) { $0 + $1.inFlight }))]
        }
    }
}
