import XCTest
@testable import Metrics

final class MetricsAcceptTests: XCTestCase {
    private func wants(_ header: String?) -> Bool {
        guard var h = header else { return MetricsRegistry.wantsOpenMetrics(acceptHeader: nil) }
        return h.withUTF8 { MetricsRegistry.wantsOpenMetrics(acceptHeader: UnsafeRawBufferPointer($0)) }
    }

    func testPrometheusScrapersGetOpenMetrics() {
        // Prometheus 2.x with exemplar storage, and Prometheus 3's default.
        XCTAssertTrue(wants("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
            + "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"))
        XCTAssertTrue(wants("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
            + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;"
            + "escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"))
        XCTAssertTrue(wants(" Application/OpenMetrics-Text ; Version=1.0.0 "))
        XCTAssertTrue(wants("application/openmetrics-text"))
    }

    func testOthersGetText() {
        XCTAssertFalse(wants(nil))
        XCTAssertFalse(wants(""))
        XCTAssertFalse(wants("*/*"))
        XCTAssertFalse(wants("text/plain;version=0.0.4;q=1,*/*;q=0.1"))
        XCTAssertFalse(wants("application/openmetrics-text;q=0.3,text/plain;q=0.9"))
        XCTAssertFalse(wants("application/openmetrics-text;version=1.0.0;q=0"))
        XCTAssertFalse(wants("application/openmetrics-text;version=2.0.0"))
        XCTAssertFalse(wants("application/openmetrics-text;q=abc"))
    }

    func testContentTypes() {
        XCTAssertEqual("\(MetricsRegistry.prometheusContentType)", "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual("\(MetricsRegistry.openMetricsContentType)",
                       "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }
}
