import Glibc
import ChainTestSupport
import XCTest
@testable import Metrics

/// OpenMetrics output read back: by the strict line parser here, and by the Python reference
/// parser when a venv with prometheus_client exists (`.venv-metrics`, optional).
final class MetricsOpenMetricsTests: XCTestCase {
    private func lines() -> [Substring] {
        let text = MetricsTestSupport.render(MetricsPromtoolTests.serviceRegistry(), openMetrics: true)
        XCTAssertTrue(text.hasSuffix("\n# EOF\n"), "ends with # EOF")
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    }

    func testEveryLineParses() {
        let all = lines()
        XCTAssertEqual(all.last, "# EOF")
        XCTAssertFalse(all.contains(""), "no blank lines")
        var exemplars = 0
        for line in all where !line.hasPrefix("#") {
            guard let s = MetricsSampleLineParser.parse(line) else { XCTFail("unparsable: \(line)"); continue }
            XCTAssertNotNil(Double(s.value), "value of \(line)")
            guard let e = s.exemplar else { continue }
            exemplars += 1
            XCTAssertTrue(s.name.hasSuffix("_bucket"), "exemplars only on buckets")
            XCTAssertEqual(e.labels.map(\.name), ["trace_id"])
            XCTAssertEqual(e.labels.first?.value, "00000000000000010000000000000002")
            XCTAssertEqual(e.value, "0.0042")
            XCTAssertNotNil(e.timestamp.flatMap(Double.init))
        }
        XCTAssertEqual(exemplars, 1, "loops' exemplars merge: the newest per bucket")
    }

    func testCounterFamiliesDropTotalInMetadata() {
        let all = lines()
        XCTAssertTrue(all.contains("# TYPE chain_spans_started counter"))
        XCTAssertTrue(all.contains("chain_spans_started_total{service=\"user-service\"} 4"))
        XCTAssertTrue(all.contains("# TYPE process_cpu_seconds counter"))
        XCTAssertFalse(all.contains { $0.hasPrefix("# TYPE") && $0.contains("_total") })
    }

    func testHistogramBucketsCumulativeAndCounted() {
        var previous: UInt64 = 0
        var infValue: UInt64?
        for line in lines() {
            guard let s = MetricsSampleLineParser.parse(line),
                  s.name == "http_server_request_duration_seconds_bucket" else { continue }
            let v = UInt64(s.value) ?? 0
            XCTAssertGreaterThanOrEqual(v, previous, "cumulative")
            previous = v
            if s.label("le") == "+Inf" { infValue = v }
        }
        XCTAssertEqual(infValue, 2)
        XCTAssertTrue(lines().contains(
            "http_server_request_duration_seconds_count{service=\"user-service\",method=\"POST\",route=\"/process\",status=\"200\"} 2"))
    }

    func testPythonReferenceParser() throws {
        // The telemetry venv (scripts/otlp-venv.sh, Tests/otlp/requirements.txt) has prometheus-client.
        let python = try TestSupport.venvPython()
        var text: [UInt8] = []
        MetricsRenderTests.smallRegistry().renderOpenMetrics(into: &text)
        let script = """
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            for f in text_string_to_metric_families(sys.stdin.read()):
                ex = sorted(s.exemplar.labels["trace_id"] for s in f.samples if s.exemplar)
                print(f.name, f.type, len(f.samples), ",".join(ex))
            """
        let result = try TestSupport.run([python, "-c", script], input: text)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output, """
            http_requests counter 2 \n\
            request_duration_seconds histogram 6 0000000000000abc0000000000000def,4bf92f3577b34da6a3ce929d0e0e4736
            span_ring_occupancy gauge 2 \n\
            spans_exported counter 1 \n
            """)
    }
}
