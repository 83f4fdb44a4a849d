import Glibc
import ChainTestSupport
import XCTest
@testable import Metrics

/// `promtool check metrics` (parse and lint) on the text format, run as a child process.
final class MetricsPromtoolTests: XCTestCase {
    static let promtool = "/usr/bin/promtool"

    /// Every kind of family the services expose, with values.
    static func serviceRegistry() -> MetricsRegistry {
        let r = MetricsRegistry(loopCount: 2)
        let service = ServiceMetrics(registry: r)
        for loop in 0..<2 {
            service.serverDuration.handle(loop: loop, ["user-service", "POST", "/process", "200"])
                .observe(0.0042, traceID: (1, 2))
            service.clientDuration.handle(loop: loop, ["user-service", "order-service", "200"]).observe(0.003)
            service.dbDuration.handle(loop: loop, ["user-service", "SELECT", "users"]).observe(0.0007)
        }
        let started = r.counter("chain_spans_started_total", help: "Spans started.", labels: ["service"])
        started.handle(loop: 1, ["user-service"]).inc(4)
        r.counterFunc("chain_spans_exported_total", help: "Spans exported.") { [(labelValues: [], value: 3)] }
        r.counterFunc("chain_spans_dropped_total", help: "Spans dropped, ring full.") { [(labelValues: [], value: 0)] }
        r.counterFunc("chain_spans_export_failed_total", help: "Spans given up.") { [(labelValues: [], value: 1)] }
        r.counterFunc("chain_span_export_failures_total", help: "Failed exports.") { [(labelValues: [], value: 2)] }
        r.gauge("chain_span_ring_occupancy", help: "Spans waiting in a loop's ring.", labels: ["loop"]) {
            [(labelValues: ["0"], value: 0), (labelValues: ["1"], value: 12)]
        }
        _ = r.histogram("chain_test_empty_duration_seconds", help: "A histogram with no series yet.", labels: [])
        r.registerProcessMetrics()
        return r
    }

    func testTextFormatPassesPromtool() throws {
        guard MetricsTestSupport.isExecutable(Self.promtool) else {
            if TestSupport.isCI { return XCTFail("promtool missing at \(Self.promtool) with CI set") }
            throw XCTSkip("promtool not installed (apt-get install prometheus)")
        }
        for registry in [Self.serviceRegistry(), MetricsRenderTests.smallRegistry()] {
            var text: [UInt8] = []
            registry.renderPrometheus(into: &text)
            let result = try TestSupport.run([Self.promtool, "check", "metrics"], input: text)
            XCTAssertEqual(result.status, 0, result.output)
            XCTAssertEqual(result.output, "", "promtool reported problems")
        }
    }

    func testPromtoolRejectsBrokenText() throws {
        // Proves the check above can fail: a counter without _total breaks the lint.
        guard MetricsTestSupport.isExecutable(Self.promtool) else { throw XCTSkip("no promtool") }
        let result = try TestSupport.run([Self.promtool, "check", "metrics"],
                                         input: Array("# HELP x X.\n# TYPE x counter\nx 1\n".utf8))
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("_total"), result.output)
    }
}
