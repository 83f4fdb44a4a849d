import XCTest
@testable import Tracing

/// The span ring and the open-span table cost resident memory only for what is used (issue 14:
/// they were touched up front, 59 MiB of a service's 61 MiB of private memory). Resident pages
/// are read with mincore, so other threads of the test process cannot disturb the figures.
final class TracerMemoryTests: XCTestCase {
    func testAFreshTracerHasNoResidentPages() {
        let t = Tracer(sampler: Sampler(), enabled: true)
        XCTAssertEqual(t.ring.storage.residentBytes, 0)
        XCTAssertEqual(t.openRecords.residentBytes, 0)
    }

    func testPagesFollowTheSpansUsed() {
        let t = Tracer(sampler: Sampler(), enabled: true)
        let page = Int(getpagesize()), stride = MemoryLayout<SpanRecord>.stride
        XCTAssertGreaterThanOrEqual(t.ring.capacity, 512 * 1024)
        // Ten requests of three nested spans, one after the other: three records open at most.
        for _ in 0..<10 {
            let server = t.start("GET /x", kind: .server, parent: nil)
            let db = t.start("SELECT", kind: .client, parent: t.context(of: server))
            t.end(db)
            let call = t.start("POST", kind: .client, parent: t.context(of: server))
            t.end(call)
            t.end(server)
        }
        XCTAssertLessThanOrEqual(t.openRecords.residentBytes, (3 * stride / page + 2) * page)
        // Thirty encoded spans: about 2 KB, where thirty 3.4 KB slots took 25 pages.
        XCTAssertLessThanOrEqual(t.ring.storage.residentBytes, 2 * page)
        XCTAssertLessThanOrEqual(t.ring.usedBytes, 30 * 100)
        XCTAssertEqual(t.ring.count, 30)
    }
}
