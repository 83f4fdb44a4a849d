/// The samples a computed family reports at scrape time.
public typealias MetricSamples = [(labelValues: [String], value: Double)]

/// A family whose values live elsewhere (the exporter's atomics, a ring's occupancy, /proc)
/// and are read by a closure at scrape time, on the scraping thread.
/// `@unchecked Sendable`: immutable after init, and `read` is itself `@Sendable`.
final class ComputedMetricFamily: @unchecked Sendable {
    enum Kind {
        case gauge
        case counter   // monotonically increasing; rendered as a counter
    }

    let name: String
    let help: String
    let labelNames: [String]
    let kind: Kind
    let read: @Sendable () -> MetricSamples

    init(name: String, help: String, labelNames: [String], kind: Kind,
         read: @escaping @Sendable () -> MetricSamples)
    {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.kind = kind
        self.read = read
    }
}
