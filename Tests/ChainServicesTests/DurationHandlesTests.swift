import XCTest
@testable import ChainRuntime
@testable import HTTP1
@testable import Metrics
import Reactor

/// The request-duration handles: one per (route, method, status), whatever order they come in.
final class DurationHandlesTests: XCTestCase {
    func testEachRouteMethodAndStatusHasItsOwnHandleMadeOnce() {
        let family = MetricsRegistry(loopCount: 1).histogram("t_seconds", help: "t", labels: ["method", "route", "status"])
        var made: [String] = []
        let handles = DurationHandles { s, status in
            let labels = ["\(s.method.name)", s.route, String(status)]
            made.append(labels.joined(separator: " "))
            return family.handle(loop: 0, labels)
        }
        let health = RequestSummary(method: .GET, routeIndex: 0, route: "/health", receivedAt: Instant(nanoseconds: 0))
        let process = RequestSummary(method: .POST, routeIndex: 1, route: "/process", receivedAt: Instant(nanoseconds: 0))
        let unmatched = RequestSummary(method: .GET, routeIndex: -1, route: "", receivedAt: Instant(nanoseconds: 0))
        let sequence: [(RequestSummary, UInt16)] = [
            (health, 200), (health, 200), (process, 200), (process, 422), (process, 200), (process, 422),
            (health, 503), (health, 200), (unmatched, 404), (unmatched, 404),
        ]
        for (s, status) in sequence { handles.handle(s, status: status).observe(0.001) }
        XCTAssertEqual(made, ["GET /health 200", "POST /process 200", "POST /process 422", "GET /health 503", "GET  404"],
                       "each made once, the first time it is seen")
        func count(_ s: RequestSummary, _ status: UInt16) -> UInt64 { handles.handle(s, status: status).count }
        XCTAssertEqual(count(health, 200), 3)
        XCTAssertEqual(count(health, 503), 1)
        XCTAssertEqual(count(process, 200), 2)
        XCTAssertEqual(count(process, 422), 2)
        XCTAssertEqual(count(unmatched, 404), 2)
        XCTAssertEqual(made.count, 5, "looking up again makes nothing")
    }
}
