import Glibc
import XCTest
@testable import Metrics

final class MetricsProcessTests: XCTestCase {
    private func sample() -> [String: Double] {
        let r = MetricsRegistry(loopCount: 1)
        r.registerProcessMetrics()
        return MetricsTestSupport.plainSamples(MetricsTestSupport.render(r))
    }

    func testProcessMetricsPlausible() {
        let s = sample()
        let rss = s["process_resident_memory_bytes"] ?? 0
        XCTAssertGreaterThan(rss, 1_048_576, "resident memory over 1 MiB")
        XCTAssertGreaterThanOrEqual(s["process_virtual_memory_bytes"] ?? 0, rss)
        let fds = s["process_open_fds"] ?? 0
        XCTAssertGreaterThan(fds, 0)
        XCTAssertGreaterThanOrEqual(s["process_max_fds"] ?? 0, fds)
        XCTAssertGreaterThanOrEqual(s["process_threads"] ?? 0, 1)
        XCTAssertGreaterThanOrEqual(s["process_cpu_seconds_total"] ?? -1, 0)
        let start = s["process_start_time_seconds"] ?? 0
        let now = MetricsTestSupport.nowSeconds()
        XCTAssertLessThanOrEqual(start, now + 1)
        XCTAssertGreaterThan(start, now - 7 * 86_400, "started within the last week")
        XCTAssertEqual(s.count, 7)
    }

    func testOpenFDsFollowsOpenAndClose() {
        let before = sample()["process_open_fds"] ?? 0
        let a = open("/dev/null", O_RDONLY)
        let b = open("/dev/null", O_RDONLY)
        let during = sample()["process_open_fds"] ?? 0
        close(a)
        close(b)
        XCTAssertEqual(during, before + 2)
        XCTAssertEqual(sample()["process_open_fds"], before)
    }

    func testCPUSecondsGrowWithWork() {
        let before = ProcSelfReader.cpuSeconds()
        var x: UInt64 = 1
        for i in 0..<30_000_000 { x = x &* 6364136223846793005 &+ UInt64(i) }
        XCTAssertNotEqual(x, 0)
        XCTAssertGreaterThan(ProcSelfReader.cpuSeconds(), before)
    }
}
