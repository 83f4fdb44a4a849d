import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class TraceContextExtractTests: XCTestCase {
    func testAbsentTraceparentStartsANewTrace() {
        XCTAssertNil(extract(traceparent: []).parent)
        XCTAssertNil(extract(traceparent: [], tracestate: ["a=1"]).parent)
    }

    func testDuplicateTraceparentIsInvalid() {
        XCTAssertNil(extract(traceparent: [Vector.sampled, Vector.sampled]).parent)
        XCTAssertNil(extract(traceparent: [Vector.sampled, Vector.unsampled]).parent)
        // Two values folded into one field are no longer a valid value either.
        XCTAssertNil(extract(traceparent: [Vector.sampled + "," + Vector.sampled]).parent)
    }

    func testValidParentCarriesCombinedTracestate() throws {
        let parent = try XCTUnwrap(extract(traceparent: [Vector.sampled], tracestate: ["rojo=1", " congo=2 "]).parent)
        XCTAssertEqual(parent.spanID.hexString, Vector.spanID)
        XCTAssertEqual(parent.traceState.headerValue, "rojo=1,congo=2")
        XCTAssertTrue(parent.isRemote)
    }

    func testInvalidTraceparentIgnoresTracestate() {
        let incoming = extract(traceparent: [Vector.traceparent(version: "ff")], tracestate: ["a=1"])
        XCTAssertNil(incoming.parent)
    }

    func testInvalidTracestateKeepsTheParent() throws {
        let parent = try XCTUnwrap(extract(traceparent: [Vector.sampled], tracestate: ["a=1", "@b=2"]).parent)
        XCTAssertTrue(parent.traceState.isEmpty)
        XCTAssertTrue(parent.isSampled)
        let p2 = try XCTUnwrap(extract(traceparent: [Vector.sampled], tracestate: [Vector.members(33)]).parent)
        XCTAssertTrue(p2.traceState.isEmpty)
    }
}
