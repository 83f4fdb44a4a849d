import XCTest
@testable import Metrics

final class MetricsRecordingTests: XCTestCase {
    private func histogram(_ r: MetricsRegistry) -> HistogramFamily {
        r.histogram("x_seconds", help: "X.", labels: ["k"], buckets: [0.1, 1])
    }

    func testBucketBoundIsInclusive() {
        let r = MetricsRegistry(loopCount: 1)
        let family = histogram(r)
        let h = family.handle(loop: 0, ["a"])
        h.observe(0.1)
        h.observe(1)
        h.observe(1.0000001)
        let t = family.collect()[0].totals
        XCTAssertEqual(t.buckets, [1, 1, 1])
        XCTAssertEqual(t.count, 3)
    }

    func testNaNIgnoredNegativeCountedAsZero() {
        let r = MetricsRegistry(loopCount: 1)
        let family = histogram(r)
        let h = family.handle(loop: 0, ["a"])
        h.observe(.nan)
        h.observe(-3)
        let t = family.collect()[0].totals
        XCTAssertEqual(t.buckets, [1, 0, 0])
        XCTAssertEqual(t.sum, 0)
    }

    func testSameLabelSetSharesCell() {
        let r = MetricsRegistry(loopCount: 2)
        let c = r.counter("n_total", help: "N.", labels: ["k"])
        c.handle(loop: 1, ["a"]).inc(2)
        c.handle(loop: 1, ["a"]).inc(5)
        XCTAssertEqual(c.handle(loop: 1, ["a"]).value, 7)
        XCTAssertEqual(c.handle(loop: 0, ["a"]).value, 0, "loops are separate shards")
        XCTAssertEqual(c.collect().map(\.value), [7])
    }

    func testZeroTraceIDRecordsNoExemplar() {
        let r = MetricsRegistry(loopCount: 1)
        let family = histogram(r)
        family.handle(loop: 0, ["a"]).observe(0.05, traceID: (0, 0), unixNanos: 5)
        XCTAssertNil(family.collect()[0].totals.exemplars[0])
    }

    func testExemplarWithoutTimestampTakesWallClock() {
        let r = MetricsRegistry(loopCount: 1)
        let family = histogram(r)
        let before = MetricsTestSupport.nowSeconds()
        family.handle(loop: 0, ["a"]).observe(0.5, traceID: (7, 9))
        let e = family.collect()[0].totals.exemplars[1]
        XCTAssertEqual(e?.traceLo, 9)
        let stamp = Double(e?.unixNanos ?? 0) / 1e9
        XCTAssertGreaterThanOrEqual(stamp, before - 1)
        XCTAssertLessThanOrEqual(stamp, MetricsTestSupport.nowSeconds() + 1)
    }

    func testHandleLabelsMergeAcrossLoopsSorted() {
        let r = MetricsRegistry(loopCount: 3)
        let c = r.counter("m_total", help: "M.", labels: ["k"])
        c.handle(loop: 2, ["b"]).inc()
        c.handle(loop: 0, ["c"]).inc()
        c.handle(loop: 1, ["a"]).inc()
        c.handle(loop: 0, ["b"]).inc()
        let rows = c.collect()
        XCTAssertEqual(rows.map(\.labelValues), [["a"], ["b"], ["c"]])
        XCTAssertEqual(rows.map(\.value), [1, 2, 1])
    }

    func testNameRules() {
        XCTAssertTrue(MetricNameRules.isIdentifier("http_server_request_duration_seconds"))
        XCTAssertTrue(MetricNameRules.isIdentifier("_x9"))
        XCTAssertFalse(MetricNameRules.isIdentifier("9x"))
        XCTAssertFalse(MetricNameRules.isIdentifier("a-b"))
        XCTAssertFalse(MetricNameRules.isIdentifier("a:b"))
        XCTAssertFalse(MetricNameRules.isIdentifier(""))
    }
}
