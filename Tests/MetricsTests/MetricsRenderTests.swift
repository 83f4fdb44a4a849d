import XCTest
@testable import Metrics

final class MetricsRenderTests: XCTestCase {
    /// Two loops, every kind of family; values are binary fractions so sums are exact.
    static func smallRegistry() -> MetricsRegistry {
        let r = MetricsRegistry(loopCount: 2)
        let c = r.counter("http_requests_total", help: "Requests handled.", labels: ["route", "status"])
        c.handle(loop: 0, ["/a", "200"]).inc(3)
        c.handle(loop: 1, ["/a", "200"]).inc(2)
        c.handle(loop: 1, ["/b", "500"]).inc()
        let h = r.histogram("request_duration_seconds", help: "Request latency.", labels: ["route"],
                            buckets: [0.005, 0.1, 1])
        h.handle(loop: 0, ["/a"]).observe(0.00390625, traceID: (1, 2), unixNanos: 1_700_000_000_123_000_000)
        let h1 = h.handle(loop: 1, ["/a"])
        h1.observe(0.001953125, traceID: (0x4bf9_2f35_77b3_4da6, 0xa3ce_929d_0e0e_4736),
                   unixNanos: 1_700_000_001_500_000_000)   // newer than loop 0's: wins the bucket
        h1.observe(0.0625, traceID: (0xabc, 0xdef), unixNanos: 1_700_000_000_000_000_000)
        h1.observe(2)
        r.gauge("span_ring_occupancy", help: "Spans waiting.", labels: ["loop"]) {
            [(labelValues: ["0"], value: 3), (labelValues: ["1"], value: 0.5)]
        }
        r.counterFunc("spans_exported_total", help: "Spans exported.") { [(labelValues: [], value: 42)] }
        return r
    }

    static let expectedText = """
        # HELP http_requests_total Requests handled.
        # TYPE http_requests_total counter
        http_requests_total{route="/a",status="200"} 5
        http_requests_total{route="/b",status="500"} 1
        # HELP request_duration_seconds Request latency.
        # TYPE request_duration_seconds histogram
        request_duration_seconds_bucket{route="/a",le="0.005"} 2
        request_duration_seconds_bucket{route="/a",le="0.1"} 3
        request_duration_seconds_bucket{route="/a",le="1"} 3
        request_duration_seconds_bucket{route="/a",le="+Inf"} 4
        request_duration_seconds_sum{route="/a"} 2.068359375
        request_duration_seconds_count{route="/a"} 4
        # HELP span_ring_occupancy Spans waiting.
        # TYPE span_ring_occupancy gauge
        span_ring_occupancy{loop="0"} 3
        span_ring_occupancy{loop="1"} 0.5
        # HELP spans_exported_total Spans exported.
        # TYPE spans_exported_total counter
        spans_exported_total 42

        """

    static let expectedOpenMetrics = """
        # HELP http_requests Requests handled.
        # TYPE http_requests counter
        http_requests_total{route="/a",status="200"} 5
        http_requests_total{route="/b",status="500"} 1
        # HELP request_duration_seconds Request latency.
        # TYPE request_duration_seconds histogram
        request_duration_seconds_bucket{route="/a",le="0.005"} 2 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 0.001953125 1700000001.500
        request_duration_seconds_bucket{route="/a",le="0.1"} 3 # {trace_id="0000000000000abc0000000000000def"} 0.0625 1700000000.000
        request_duration_seconds_bucket{route="/a",le="1"} 3
        request_duration_seconds_bucket{route="/a",le="+Inf"} 4
        request_duration_seconds_sum{route="/a"} 2.068359375
        request_duration_seconds_count{route="/a"} 4
        # HELP span_ring_occupancy Spans waiting.
        # TYPE span_ring_occupancy gauge
        span_ring_occupancy{loop="0"} 3
        span_ring_occupancy{loop="1"} 0.5
        # HELP spans_exported Spans exported.
        # TYPE spans_exported counter
        spans_exported_total 42
        # EOF

        """

    func testPrometheusTextExact() {
        XCTAssertEqual(MetricsTestSupport.render(Self.smallRegistry()), Self.expectedText)
    }

    func testOpenMetricsExact() {
        XCTAssertEqual(MetricsTestSupport.render(Self.smallRegistry(), openMetrics: true),
                       Self.expectedOpenMetrics)
    }

    func testRenderAppendsToExistingBytes() {
        var out = Array("HTTP/1.1 200 OK\r\n\r\n".utf8)
        Self.smallRegistry().renderPrometheus(into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "HTTP/1.1 200 OK\r\n\r\n" + Self.expectedText)
    }

    func testEmptyRegistry() {
        let r = MetricsRegistry(loopCount: 1)
        XCTAssertEqual(MetricsTestSupport.render(r), "")
        XCTAssertEqual(MetricsTestSupport.render(r, openMetrics: true), "# EOF\n")
    }

    func testEscaping() {
        let r = MetricsRegistry(loopCount: 1)
        let c = r.counter("odd_total", help: "Back\\slash \"quoted\"\nnext line.", labels: ["v"])
        c.handle(loop: 0, ["a\\b \"q\"\nz"]).inc()
        XCTAssertEqual(MetricsTestSupport.render(r), """
            # HELP odd_total Back\\\\slash "quoted"\\nnext line.
            # TYPE odd_total counter
            odd_total{v="a\\\\b \\"q\\"\\nz"} 1

            """)
        XCTAssertEqual(MetricsTestSupport.render(r, openMetrics: true), """
            # HELP odd Back\\\\slash \\"quoted\\"\\nnext line.
            # TYPE odd counter
            odd_total{v="a\\\\b \\"q\\"\\nz"} 1
            # EOF

            """)
    }

    func testNumberFormatting() {
        let f = ExpositionWriter.formatNumber
        XCTAssertEqual(f(1), "1")
        XCTAssertEqual(f(0), "0")
        XCTAssertEqual(f(-0.0), "0")
        XCTAssertEqual(f(0.0005), "0.0005")
        XCTAssertEqual(f(2.5), "2.5")
        XCTAssertEqual(f(1e-05), "1e-05")
        XCTAssertEqual(f(2.5e20), "2.5e+20")
        XCTAssertEqual(f(.infinity), "+Inf")
        XCTAssertEqual(f(-.infinity), "-Inf")
        XCTAssertEqual(f(.nan), "NaN")
        XCTAssertEqual(Double(f(0.1 + 0.2)), 0.1 + 0.2, "round trip")
    }

    func testTimestampAndTraceIDFormatting() {
        var w = ExpositionWriter(format: .openMetrics, bytes: [])
        w.appendTimestamp(unixNanos: 1_700_000_000_007_999_999)
        w.append(" ")
        w.appendTraceID(hi: 0x0123_4567_89ab_cdef, lo: 0xfedc_ba98_7654_3210)
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self),
                       "1700000000.007 0123456789abcdeffedcba9876543210")
    }

    func testDefaultBucketsRenderAsDeclared() {
        let r = MetricsRegistry(loopCount: 1)
        let h = r.histogram("d_seconds", help: "D.", labels: [])
        h.handle(loop: 0, []).observe(0.003)
        let les = MetricsTestSupport.render(r).split(separator: "\n")
            .compactMap { MetricsSampleLineParser.parse($0)?.label("le") }
        XCTAssertEqual(les, ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                             "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"])
    }
}
