import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class TraceContextSpanStartTests: XCTestCase {
    func testRootSpanStartsARandomTrace() {
        var ids = IDGenerator(seed: 1)
        let c = SpanContext.start(parent: nil, sampler: .default, ids: &ids)
        XCTAssertTrue(c.isValid)
        XCTAssertEqual(c.flags, [.sampled, .random])
        XCTAssertFalse(c.isRemote)
        XCTAssertTrue(c.traceState.isEmpty)
        XCTAssertTrue(c.traceParent.hasSuffix("-03"))
    }

    func testUnsampledRootStillPropagates() {
        var ids = IDGenerator(seed: 1)
        let c = SpanContext.start(parent: nil, sampler: Sampler(kind: .traceIDRatio, ratio: 0), ids: &ids)
        XCTAssertTrue(c.isValid)
        XCTAssertEqual(c.flags, .random)
        XCTAssertTrue(c.traceParent.hasSuffix("-02"))
    }

    func testContinuesAValidRemoteParent() throws {
        var ids = IDGenerator(seed: 2)
        let parent = try XCTUnwrap(extract(traceparent: [Vector.sampled], tracestate: ["congo=t61rcWkgMzE"]).parent)
        let c = SpanContext.start(parent: parent, sampler: Sampler(kind: .parentBasedTraceIDRatio, ratio: 0), ids: &ids)
        XCTAssertEqual(c.traceID, parent.traceID)
        XCTAssertNotEqual(c.spanID, parent.spanID)
        XCTAssertTrue(c.spanID.isValid)
        XCTAssertEqual(c.flags, .sampled, "the parent did not claim a random trace id")
        XCTAssertEqual(c.traceState, parent.traceState)
        XCTAssertFalse(c.isRemote)
    }

    func testUnsampledParentKeepsItsRandomFlag() throws {
        var ids = IDGenerator(seed: 3)
        let parent = try XCTUnwrap(parseTraceParent(Vector.traceparent(flags: "02")))
        let c = SpanContext.start(parent: parent, sampler: .default, ids: &ids)
        XCTAssertEqual(c.flags, .random)
        XCTAssertEqual(c.traceParent, "00-\(Vector.traceID)-\(c.spanID.hexString)-02")
    }

    func testInvalidParentStartsANewTrace() {
        var ids = IDGenerator(seed: 4)
        let bad = SpanContext(traceID: .invalid, spanID: SpanID(7), flags: .sampled)
        let c = SpanContext.start(parent: bad, sampler: .default, ids: &ids)
        XCTAssertTrue(c.traceID.isValid)
        XCTAssertEqual(c.flags, [.sampled, .random])
    }

    /// A hop of the chain: read the caller's headers, start the server span, write the
    /// next call's headers with our own tracestate entry in front.
    func testOneHop() throws {
        var ids = IDGenerator(seed: 5)
        let incoming = extract(traceparent: [" " + Vector.sampled], tracestate: ["rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE"])
        let server = SpanContext.start(parent: incoming.parent, sampler: Sampler(environment: [:]), ids: &ids)
        let client = SpanContext.start(parent: server, sampler: Sampler(environment: [:]), ids: &ids)
        let state = try XCTUnwrap(client.traceState.updating(key: "chain", value: client.spanID.hexString))
        XCTAssertEqual(client.traceParent, "00-\(Vector.traceID)-\(client.spanID.hexString)-01")
        XCTAssertEqual(state.headerValue, "chain=\(client.spanID.hexString),rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        XCTAssertNotEqual(client.spanID, server.spanID)
    }
}
