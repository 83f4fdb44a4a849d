import Glibc
import Synchronization
import XCTest
@testable import Metrics

private final class Progress: Sendable {
    let finishedWriters = Atomic<Int>(0)
    let scrapes = Atomic<Int>(0)

    /// Halfway through, a writer lets two scrapes pass, so some scrape surely sees a
    /// half-done state.
    func waitForScrapes() {
        let seen = scrapes.load(ordering: .acquiring)
        while scrapes.load(ordering: .acquiring) < seen + 2 { sched_yield() }
    }
}

/// Real threads, each the single writer of its loop's shard, while another thread scrapes.
final class MetricsConcurrencyTests: XCTestCase {
    private let loops = 4
    private let perLoop = 1_000_000

    private struct ScrapeLog {
        let finalOps: UInt64
        var scrapes = 0
        var problems: [String] = []
        var sawPartial = false
        var last = (ops: UInt64(0), count: UInt64(0), sum: 0.0, labelled: UInt64(0))
    }

    func testWritersAndScraperAgree() {
        let r = MetricsRegistry(loopCount: loops)
        let ops = r.counter("ops_total", help: "Ops.", labels: ["kind"])
        let latency = r.histogram("op_duration_seconds", help: "Op latency.", labels: ["kind"],
                                  buckets: [0.25, 0.5, 1])
        let progress = Progress()
        let log = MetricsLocked(ScrapeLog(finalOps: UInt64(loops * perLoop)))
        let scraper = MetricsTestThreads.start { [loops] in
            while progress.finishedWriters.load(ordering: .acquiring) < loops {
                log.with { Self.scrape(ops, latency, r, into: &$0) }
                progress.scrapes.add(1, ordering: .releasing)
            }
        }
        let writers = (0..<loops).map { loop in
            MetricsTestThreads.start { [perLoop] in
                Self.write(loop: loop, count: perLoop, ops, latency, progress)
                progress.finishedWriters.add(1, ordering: .releasing)
            }
        }
        writers.forEach(MetricsTestThreads.join)
        MetricsTestThreads.join(scraper)
        checkFinal(ops, latency, log.with { $0 })
    }

    /// One loop's work: a counter and a histogram resolved up front, plus label sets that
    /// appear while the loop runs (as a new route/status combination would).
    private static func write(loop: Int, count: Int, _ ops: CounterFamily, _ latency: HistogramFamily,
                              _ progress: Progress)
    {
        let shared = ops.handle(loop: loop, ["shared"])
        let h = latency.handle(loop: loop, ["shared"])
        for n in 1...count {
            if n == count / 2 { progress.waitForScrapes() }
            shared.inc()
            if n % 1000 == 0 { ops.handle(loop: loop, ["k\(n / 1000 % 7)"]).inc() }
            // Every word of the exemplar derives from n, so a torn read shows.
            h.observe(Double(n % 4) * 0.25, traceID: (UInt64(n), UInt64(n)), unixNanos: UInt64(n))
        }
    }

    private static func scrape(_ ops: CounterFamily, _ latency: HistogramFamily, _ r: MetricsRegistry,
                               into log: inout ScrapeLog)
    {
        let counters = ops.collect()
        let opsNow = counters.first { $0.labelValues == ["shared"] }?.value ?? 0
        let labelled = counters.filter { $0.labelValues != ["shared"] }.reduce(0) { $0 + $1.value }
        let t = latency.collect().first?.totals ?? HistogramTotals(boundCount: 3)
        if opsNow < log.last.ops || t.count < log.last.count || t.sum < log.last.sum
            || labelled < log.last.labelled
        {
            log.problems.append("scrape went backwards: \(log.last) -> \(opsNow) \(t.count) \(t.sum)")
        }
        for (b, e) in t.exemplars.enumerated() {
            guard let e else { continue }
            let value = Double(e.traceHi % 4) * 0.25
            let bucket = value <= 0.25 ? 0 : value <= 0.5 ? 1 : 2
            if e.traceHi != e.traceLo || e.unixNanos != e.traceHi || e.value != value || bucket != b {
                log.problems.append("torn exemplar \(e) in bucket \(b)")
            }
        }
        if log.scrapes % 64 == 0 { checkOpenMetricsParses(r, into: &log) }
        if opsNow > 0, opsNow < log.finalOps { log.sawPartial = true }
        log.last = (opsNow, t.count, t.sum, labelled)
        log.scrapes += 1
    }

    private static func checkOpenMetricsParses(_ r: MetricsRegistry, into log: inout ScrapeLog) {
        let text = MetricsTestSupport.render(r, openMetrics: true)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            if MetricsSampleLineParser.parse(line) == nil { log.problems.append("bad line: \(line)") }
        }
    }

    private func checkFinal(_ ops: CounterFamily, _ latency: HistogramFamily, _ log: ScrapeLog) {
        XCTAssertEqual(log.problems.count, 0, log.problems.prefix(5).joined(separator: "\n"))
        XCTAssertGreaterThan(log.scrapes, 1, "the scraper ran while the writers did")
        XCTAssertTrue(log.sawPartial, "some scrape saw the writers half done")
        let counters = ops.collect()
        XCTAssertEqual(counters.first { $0.labelValues == ["shared"] }?.value, UInt64(loops * perLoop))
        XCTAssertEqual(counters.count, 8, "shared plus k0...k6")
        XCTAssertEqual(counters.reduce(0) { $0 + $1.value }, UInt64(loops * perLoop + loops * perLoop / 1000))
        let t = latency.collect()[0].totals
        let quarter = UInt64(loops * perLoop / 4)
        XCTAssertEqual(t.buckets, [2 * quarter, quarter, quarter, 0])
        XCTAssertEqual(t.sum, Double(loops * perLoop / 4) * 1.5)
        XCTAssertEqual(t.exemplars[3], nil, "nothing above 1 s")
        XCTAssertEqual(t.exemplars[2]?.traceHi, UInt64(perLoop - 1), "the newest 0.75 s observation")
    }
}
