import ChainRuntime
import ArgumentParser
import Glibc
import Reactor
import Tracing
import Metrics
import OTLPExport

/// Microbenchmarks of the span pipeline (for Perf/bench-tracing.sh): the cost of recording a
/// span and enqueueing it, and the exporter's throughput to an OTLP endpoint.
struct BenchSpans: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-spans", abstract: "Measure span recording and export (for Perf/).")

    @Option(help: "Spans to record.") var count = 2_000_000
    @Option(help: "OTLP endpoint (http://host:port); measures export throughput when given.") var endpoint: String?

    func run() throws {
        let tracer = Tracer(ringCapacity: 8192, sampler: Sampler(), enabled: true)
        if let endpoint {
            try exportThroughput(tracer, endpoint)
        } else {
            try recordCost(tracer)
        }
    }

    /// ns per span: start, three attributes, end (encoded into the ring); a thread drains the ring.
    private func recordCost(_ tracer: Tracer) throws {
        let done = Lock()
        nonisolated(unsafe) var stop = false   // written and read under `done`
        let ring = tracer.ring
        let consumer = try OSThread.spawn(name: "drain") {
            while !done.withLock({ stop }) { if ring.drain({ _ in }) == 0 { sched_yield() } }
        }
        let t0 = Instant.now()
        for i in 0..<count {
            let s = tracer.start("SELECT users", kind: .client, parent: nil, at: UInt64(i))
            tracer.setAttribute(s, "db.system.name", .literal("postgresql"))
            tracer.setAttribute(s, "db.operation.name", .literal("SELECT"))
            tracer.setAttribute(s, "user.id", .int(Int64(i)))
            tracer.end(s, at: UInt64(i + 1))
        }
        let ns = Double((Instant.now() - t0).nanoseconds) / Double(count)
        done.withLock { stop = true }
        consumer.join()
        print("spans=\(count) ns_per_span=\((ns * 10).rounded() / 10) dropped=\(tracer.counters.dropped.value)")
    }

    /// Spans per second leaving the exporter (encoded and POSTed), with the producer refilling
    /// the ring as fast as it drains.
    private func exportThroughput(_ tracer: Tracer, _ endpoint: String) throws {
        var env = processEnvironment()
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
        env["OTEL_BSP_SCHEDULE_DELAY"] = "5"
        let ring = tracer.ring
        let resource = resourceFromEnvironment(env, serviceName: "bench", serviceVersion: chainVersion)
        let source = RingSpanSource(rings: [ring], resource: resource, scopeName: "chain", scopeVersion: chainVersion)
        let exporter = SpanExporter<SpanRecord>(config: .from(environment: env), resource: resource,
                                                scopeName: "chain", scopeVersion: chainVersion) { max, encoding, out in
            source.take(max: max, encoding: encoding, into: &out)
        }
        try exporter.start()
        let t0 = Instant.now()
        var produced = 0
        let total = count   // an @Option read per span costs a generic-metadata lookup (perf)
        while produced < total {
            let s = tracer.start("SELECT users", kind: .client, parent: nil)
            tracer.setAttribute(s, "db.system.name", .literal("postgresql"))
            tracer.setAttribute(s, "db.operation.name", .literal("SELECT"))
            tracer.setAttribute(s, "user.id", .int(Int64(produced)))
            tracer.end(s)
            produced += 1
            if ring.usedBytes > ring.capacity / 2 { usleep(100) }   // keep up with the exporter, never drop
        }
        exporter.shutdown(deadline: Instant.now() + .seconds(60))
        let secs = (Instant.now() - t0).seconds
        print("spans=\(exporter.spansExported) seconds=\((secs * 100).rounded() / 100) spans_per_s=\(Int(Double(exporter.spansExported) / secs)) failed=\(exporter.spansFailed) dropped=\(tracer.counters.dropped.value)")
    }
}
