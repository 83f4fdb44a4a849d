import Synchronization

/// The metrics of one service process: families declared at start-up, recorded per event loop
/// without shared writes, merged when `/metrics` is scraped.
///
/// Handles point into cells the registry owns; keep the registry alive as long as any handle
/// (in the server it lives for the whole process).
/// `@unchecked Sendable`: the family list is behind a mutex; everything else is immutable after init.
public final class MetricsRegistry: @unchecked Sendable {
    public let loopCount: Int
    private let arenas: [MetricCellArena]
    // Taken when a family is declared and once per scrape, never on the recording path.
    private let families = Mutex<[any MetricFamilyRendering]>([])

    public static let prometheusContentType: StaticString = "text/plain; version=0.0.4; charset=utf-8"
    public static let openMetricsContentType: StaticString =
        "application/openmetrics-text; version=1.0.0; charset=utf-8"

    public init(loopCount: Int) {
        precondition(loopCount > 0, "a registry needs at least one loop")
        self.loopCount = loopCount
        arenas = (0..<loopCount).map { _ in MetricCellArena() }
    }

    /// A counter family; `name` must end in `_total`.
    public func counter(_ name: String, help: String, labels: [String]) -> CounterFamily {
        MetricNameRules.check(name: name, labels: labels, kind: .counter)
        let family = CounterFamily(name: name, help: help, labelNames: labels, arenas: arenas)
        add(family)
        return family
    }

    public func histogram(_ name: String, help: String, labels: [String],
                          buckets: [Double] = MetricsRegistry.defaultDurationBuckets) -> HistogramFamily
    {
        MetricNameRules.check(name: name, labels: labels, kind: .histogram)
        let family = HistogramFamily(name: name, help: help, labelNames: labels,
                                     buckets: buckets, arenas: arenas)
        add(family)
        return family
    }

    /// A gauge computed at scrape time by `read`, on the scraping thread.
    public func gauge(_ name: String, help: String, labels: [String] = [],
                      _ read: @escaping @Sendable () -> MetricSamples)
    {
        MetricNameRules.check(name: name, labels: labels, kind: .gauge)
        add(ComputedMetricFamily(name: name, help: help, labelNames: labels, kind: .gauge, read: read))
    }

    /// A counter whose value is kept elsewhere (e.g. the exporter's atomics) and read at
    /// scrape time; `read` must report monotonically increasing values. `name` ends in `_total`.
    public func counterFunc(_ name: String, help: String, labels: [String] = [],
                            _ read: @escaping @Sendable () -> MetricSamples)
    {
        MetricNameRules.check(name: name, labels: labels, kind: .counter)
        add(ComputedMetricFamily(name: name, help: help, labelNames: labels, kind: .counter, read: read))
    }

    private func add(_ family: any MetricFamilyRendering) {
        let exposed = MetricNameRules.familyName(family.name, isCounter: family.isCounter,
                                                 format: .openMetrics)
        families.withLock { list in
            for f in list {
                let other = MetricNameRules.familyName(f.name, isCounter: f.isCounter,
                                                       format: .openMetrics)
                precondition(f.name != family.name && other != exposed,
                             "metric \(family.name) declared twice")
            }
            list.append(family)
        }
    }

    /// Appends the Prometheus text format 0.0.4 (`prometheusContentType`).
    public func renderPrometheus(into out: inout [UInt8]) {
        render(.prometheus, into: &out)
    }

    /// Appends OpenMetrics 1.0.0 text with exemplars, ending in `# EOF` (`openMetricsContentType`).
    public func renderOpenMetrics(into out: inout [UInt8]) {
        render(.openMetrics, into: &out)
        out.append(contentsOf: "# EOF\n".utf8)
    }

    private func render(_ format: ExpositionFormat, into out: inout [UInt8]) {
        let list = families.withLock { $0 }
        var w = ExpositionWriter(format: format, bytes: out)
        out = []   // `w` now holds the only reference: appends do not copy
        for family in list { family.render(into: &w) }
        out = w.bytes
    }
}
