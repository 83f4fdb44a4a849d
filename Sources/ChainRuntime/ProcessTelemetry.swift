import Glibc
import HTTP1
import Metrics
import OTLPExport
import Reactor
import Tracing

/// The telemetry of one service in the process: a tracer per loop (made here, before the loops
/// start, and then used only by its loop), the exporter thread draining their rings, and the
/// metrics registry with the contract's histograms.
public final class ProcessTelemetry: @unchecked Sendable {
    // Sendable without a check: everything here is set in init; the tracers are used on their
    // own loops, and what the scrape thread reads (counters, ring occupancy) is atomic.
    public let tracers: LoopLocal<Tracer>
    let exporter: SpanExporter<SpanRecord>?
    public let metrics: MetricsRegistry
    /// The three histograms of API.md; the server one is recorded here, the client and
    /// database ones by the code that makes those calls.
    public let serviceMetrics: ServiceMetrics
    public let serviceName: String

    /// `exportSpans: false` leaves the spans in the rings (tests read them there).
    public init(group: LoopGroup, serviceName: String, environment env: [String: String], exportSpans: Bool = true) {
        self.serviceName = serviceName
        let sdkDisabled = env["OTEL_SDK_DISABLED"]?.lowercased() == "true"
        let sampler = Sampler(environment: env)
        let ringSize = Int(env["CHAIN_SPAN_RING_SIZE"] ?? "") ?? Tracer.defaultRingCapacity
        tracers = LoopLocal(group) { _ in Tracer(ringCapacity: ringSize, sampler: sampler, enabled: !sdkDisabled) }
        metrics = MetricsRegistry(loopCount: group.loops.count)
        serviceMetrics = ServiceMetrics(registry: metrics)
        if sdkDisabled || !exportSpans {
            exporter = nil
        } else {
            let config = ExporterConfig.from(environment: env)
            let resource = resourceFromEnvironment(env, serviceName: serviceName, serviceVersion: chainVersion)
            let source = RingSpanSource(rings: tracers.all.map(\.ring), resource: resource, scopeName: "chain", scopeVersion: chainVersion)
            exporter = SpanExporter(config: config, resource: resource, scopeName: "chain", scopeVersion: chainVersion) { max, encoding, out in
                source.take(max: max, encoding: encoding, into: &out)
            }
        }
        if let exporter { for t in tracers.all { t.onHighWater = { exporter.nudge() } } }
        registerPipelineMetrics()
        metrics.registerProcessMetrics()
    }

    public func start() throws { try exporter?.start() }

    /// Flushes the spans still queued (after the loops stopped), within the deadline.
    public func shutdown(deadline: Instant) { exporter?.shutdown(deadline: deadline) }

    /// Records every request `server` answers in `http_server_request_duration_seconds`, with
    /// the trace id as exemplar. Before the loops start.
    public func measureRequests(of server: HTTPServer, group: LoopGroup) {
        let family = serviceMetrics.serverDuration, service = serviceName
        for loop in group.loops {
            guard let tracing = server.tracing(on: loop) else { continue }
            let handles = DurationHandles { summary, status in
                let route = summary.route.isEmpty ? "unmatched" : summary.route
                return family.handle(loop: loop.index, [service, "\(summary.method.name)", route, String(status)])
            }
            tracing.onRequestEnded = { summary, status, duration, span, endedAt in
                let h = handles.handle(summary, status: status)
                // The exemplar is stamped with its span's end: an untraced request reads no clock.
                let exemplar = span.flatMap { $0.isRecording ? ($0.traceID.hi, $0.traceID.lo) : nil }
                h.observe(duration.seconds, traceID: exemplar, unixNanos: endedAt)
            }
        }
    }

    private func registerPipelineMetrics() {
        let tracers = self.tracers.all, exporter = self.exporter
        metrics.counterFunc("chain_spans_started_total", help: "Spans started (sampled and recording).") {
            [(labelValues: [], value: Double(tracers.reduce(0) { $0 + $1.counters.started.value }))]
        }
        metrics.counterFunc("chain_spans_dropped_total", help: "Spans dropped because a span ring or the open-span table was full.") {
            [(labelValues: [], value: Double(tracers.reduce(0) { $0 + $1.counters.dropped.value }))]
        }
        metrics.counterFunc("chain_span_text_truncated_total", help: "Spans whose attribute text or tracestate was cut to fit the record.") {
            [(labelValues: [], value: Double(tracers.reduce(0) { $0 + $1.counters.truncated.value }))]
        }
        metrics.counterFunc("chain_spans_exported_total", help: "Spans accepted by the OTLP endpoint or written to the span file.") {
            [(labelValues: [], value: Double(exporter?.spansExported ?? 0))]
        }
        metrics.counterFunc("chain_spans_export_failed_total", help: "Spans given up after retries or a non-retryable answer.") {
            [(labelValues: [], value: Double(exporter?.spansFailed ?? 0))]
        }
        metrics.counterFunc("chain_span_export_failures_total", help: "Failed export attempts (HTTP errors, timeouts, connection errors).") {
            [(labelValues: [], value: Double(exporter?.exportFailures ?? 0))]
        }
        metrics.counterFunc("chain_span_export_seconds_total", help: "Time spent exporting batches, retries included (with chain_span_exports_total: the mean export duration).") {
            [(labelValues: [], value: Double(exporter?.exportDurationSumNanos ?? 0) / 1e9)]
        }
        metrics.counterFunc("chain_span_exports_total", help: "Batches exported (or given up).") {
            [(labelValues: [], value: Double(exporter?.exportCount ?? 0))]
        }
        metrics.gauge("chain_span_ring_occupancy", help: "Spans waiting in each loop's ring.", labels: ["loop"]) {
            tracers.enumerated().map { (labelValues: [String($0.offset)], value: Double($0.element.ring.count)) }
        }
    }
}

public let chainVersion = "0.1.0"

public func processEnvironment() -> [String: String] {
    var env: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
        let s = String(cString: entry)
        if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
        p += 1
    }
    return env
}
