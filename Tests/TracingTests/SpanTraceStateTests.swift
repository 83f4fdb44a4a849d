import XCTest
@testable import Tracing

/// A span's handle is plain bits; its `tracestate` lives in its tracer while the span is open.
final class SpanTraceStateTests: XCTestCase {
    private func remoteParent(_ state: String) throws -> SpanContext {
        var p = try XCTUnwrap(TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        p.traceState = try XCTUnwrap(TraceState(state))
        return p
    }

    func testHandleIsBitwiseCopyable() {
        // An optional handle copied without retains or value witnesses (see `Span`).
        XCTAssertTrue(_isPOD(Span.self))
        XCTAssertTrue(_isPOD(Span?.self))
    }

    func testTraceStateGoesToChildrenAndCallsAndEndsWithTheSpan() throws {
        let t = Tracer(sampler: Sampler(), enabled: true)
        let server = t.start("POST /process", kind: .server, parent: try remoteParent("rojo=1,congo=2"))
        let serverContext = t.context(of: server)
        XCTAssertEqual(serverContext.traceState.headerValue, "rojo=1,congo=2")
        XCTAssertEqual(serverContext.traceID, server.traceID)
        XCTAssertEqual(serverContext.spanID, server.spanID)
        XCTAssertFalse(serverContext.isRemote)

        let call = t.start("POST", kind: .client, parent: serverContext)
        XCTAssertEqual(t.context(of: call).traceState.headerValue, "rojo=1,congo=2", "a child keeps its parent's list")
        XCTAssertEqual(t.context(of: call).traceParent, call.traceParent)
        XCTAssertEqual(t.keptTraceStates, 2)

        t.end(call)
        XCTAssertTrue(t.context(of: call).traceState.isEmpty, "an ended span's handle carries no list")
        XCTAssertEqual(t.context(of: call).traceID, server.traceID, "but still its ids")
        t.end(server)
        XCTAssertEqual(t.keptTraceStates, 0, "nothing outlives its span")
    }

    func testReusedSlotDoesNotInheritAnEndedSpansList() throws {
        let t = Tracer(openCapacity: 1, sampler: Sampler(), enabled: true)
        let a = t.start("a", kind: .server, parent: try remoteParent("vendor=abc"))
        t.end(a)
        let b = t.start("b", kind: .server, parent: nil)   // the same slot
        XCTAssertTrue(t.context(of: b).traceState.isEmpty)
        XCTAssertTrue(t.context(of: a).traceState.isEmpty, "a stale handle reads nothing from the slot's new span")
        t.end(b)
        XCTAssertEqual(t.keptTraceStates, 0)
    }

    func testUnsampledAndContextOnlySpansStillPropagateTheList() throws {
        let t = Tracer(openCapacity: 1, sampler: Sampler(kind: .parentBasedTraceIDRatio, ratio: 0), enabled: true)
        var parent = try remoteParent("vendor=abc")
        parent.flags = []
        let occupant = t.start("occupant", kind: .internal, parent: nil)
        let overflow = t.start("s", kind: .server, parent: parent)   // past the record table
        XCTAssertFalse(overflow.isRecording)
        XCTAssertEqual(t.context(of: overflow).traceState.headerValue, "vendor=abc")
        t.end(overflow)
        t.end(occupant)
        XCTAssertEqual(t.keptTraceStates, 0)
    }
}
