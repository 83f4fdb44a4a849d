import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class TracerTests: XCTestCase {
    func drain(_ t: Tracer) -> [ExportSpan] {
        t.ring.drainExported()
    }

    func testParentChildAttributesEventsAndErrors() {
        let t = Tracer(sampler: Sampler(), enabled: true)
        let root = t.start("POST /process", kind: .server, parent: nil, at: 1_000)
        t.setAttribute(root, "http.request.method", .literal("POST"))
        t.setAttribute(root, "user.id", .int(1002))
        t.setAttribute(root, "url.path", .text(InlineText("/process")))
        let child = t.start("calculate_pricing", kind: .internal, parent: t.context(of: root), at: 1_100)
        t.addEvent(child, "item", [SpanAttribute("sku", .text(InlineText("SKU-1002-0"))), SpanAttribute("quantity", .int(1))], at: 1_150)
        t.recordError(child, type: "PricingError", message: "no price")
        t.end(child, at: 1_200)
        t.setStatusOK(root)
        t.end(root, at: 2_000)
        t.end(root, at: 3_000)   // a second end is ignored

        let spans = drain(t)
        XCTAssertEqual(spans.count, 2)
        let (c, r) = (spans[0], spans[1])   // ring order is end order
        XCTAssertEqual(r.name, "POST /process")
        XCTAssertEqual(r.kind, .server)
        XCTAssertEqual(r.parentSpanID, 0)
        XCTAssertEqual(r.startUnixNano, 1_000)
        XCTAssertEqual(r.endUnixNano, 2_000)
        XCTAssertEqual(r.status, .ok)
        XCTAssertEqual(r.attributes, [Attribute("http.request.method", "POST"), Attribute("user.id", Int64(1002)), Attribute("url.path", "/process")])
        XCTAssertEqual(c.traceID.0, r.traceID.0)
        XCTAssertEqual(c.traceID.1, r.traceID.1)
        XCTAssertEqual(c.parentSpanID, r.spanID)
        XCTAssertNotEqual(c.spanID, r.spanID)
        XCTAssertFalse(c.parentIsRemote)
        XCTAssertEqual(c.status, .error)
        XCTAssertEqual(c.statusMessage, "no price")
        XCTAssertEqual(c.events.map(\.name), ["item", "exception"])
        XCTAssertEqual(c.events[0].attributes, [Attribute("sku", "SKU-1002-0"), Attribute("quantity", Int64(1))])
        XCTAssertEqual(c.events[1].attributes, [Attribute("exception.type", "PricingError"), Attribute("exception.message", "no price")])
        XCTAssertEqual(r.flags & 0x01, 1, "sampled")
        XCTAssertEqual(r.flags & 0x02, 2, "a trace id this process drew is random (level 2)")
    }

    func testRemoteParentIsContinued() throws {
        let t = Tracer(sampler: Sampler(), enabled: true)
        let parent = try XCTUnwrap(TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        var p = parent
        p.traceState = try XCTUnwrap(TraceState("vendor=abc,other=1"))
        let s = t.start("POST /process", kind: .server, parent: p)
        XCTAssertEqual(s.traceID.hexString, "4bf92f3577b34da6a3ce929d0e0e4736")
        t.end(s)
        let e = try XCTUnwrap(drain(t).first)
        XCTAssertEqual(e.parentSpanID, 0x00f067aa0ba902b7)
        XCTAssertTrue(e.parentIsRemote)
        XCTAssertEqual(e.traceState, "vendor=abc,other=1")
        XCTAssertEqual(e.traceID.0, 0x4bf92f3577b34da6)
    }

    func testUnsampledAndDisabledRecordNothingButPropagate() throws {
        let off = Tracer(sampler: Sampler(kind: .parentBasedTraceIDRatio, ratio: 0), enabled: true)
        let s = off.start("x", kind: .server, parent: nil)
        XCTAssertFalse(s.isRecording)
        XCTAssertFalse(s.isSampled)
        XCTAssertTrue(s.traceID.isValid, "an unsampled request still has a context to propagate")
        off.setAttribute(s, "k", .int(1))
        off.end(s)
        XCTAssertEqual(off.ring.count, 0)
        XCTAssertEqual(off.counters.started.value, 0)

        let disabled = Tracer(sampler: Sampler(), enabled: false)
        let d = disabled.start("x", kind: .server, parent: nil)
        disabled.end(d)
        XCTAssertEqual(disabled.ring.count, 0)
        XCTAssertTrue(d.isSampled, "OTEL_SDK_DISABLED records nothing but keeps propagating")
    }

    func testFullRingDropsAndCounts() {
        // 8 spans of 512 bytes: a 4 KiB ring, where this span encodes to 59 bytes (ids 28,
        // name 3, kind 2, times 18, flags 6, its field's tag and length 2). Each reserves its
        // size's bound (97 bytes: 96 and the name's one) and keeps 59: after 68 spans, 84
        // bytes are left, under the bound, so the 69th is dropped although it would fit.
        let t = Tracer(ringCapacity: 8, sampler: Sampler(), enabled: true)
        XCTAssertEqual(t.ring.capacity, 4096)
        for _ in 0..<100 { t.end(t.start("s", kind: .internal, parent: nil)) }
        XCTAssertEqual(t.counters.started.value, 100)
        XCTAssertEqual(t.counters.dropped.value, 32)
        XCTAssertEqual(t.ring.droppedCount, 32)
        XCTAssertEqual(drain(t).count, 68)
    }

    func testBoundsAreCountedAndTextCutAtCharacterBoundary() throws {
        let t = Tracer(sampler: Sampler(), enabled: true)
        let s = t.start("s", kind: .internal, parent: nil)
        for i in 0..<15 { t.setAttribute(s, "k", .int(Int64(i))) }
        for _ in 0..<6 { t.addEvent(s, "e") }
        let long = String(repeating: "é", count: 40)   // 80 bytes
        t.setAttribute(s, "long", .text(InlineText(long)))
        t.end(s)
        let e = try XCTUnwrap(drain(t).first)
        XCTAssertEqual(e.attributes.count, SpanRecord.maxAttributes)
        XCTAssertEqual(e.droppedAttributesCount, 4)
        XCTAssertEqual(e.events.count, SpanRecord.maxEvents)
        XCTAssertEqual(e.droppedEventsCount, 2)
        XCTAssertEqual(t.counters.truncated.value, 1, "the cut text is counted")
        let cut = InlineText(long).string
        XCTAssertEqual(cut, String(repeating: "é", count: 23), "47 bytes hold 23 two-byte characters")
    }

    func testOpenSpanTableReusesSlots() {
        let t = Tracer(ringCapacity: 1 << 14, openCapacity: 4, sampler: Sampler(), enabled: true)
        for _ in 0..<1000 {
            let a = t.start("a", kind: .server, parent: nil)
            let b = t.start("b", kind: .client, parent: t.context(of: a))
            t.end(b)
            t.end(a)
        }
        XCTAssertEqual(t.ring.count, 2000)
        XCTAssertEqual(t.counters.dropped.value, 0)
    }
}

final class SpanRecordLayoutTests: XCTestCase {
    func testRecordSizeStaysBounded() {
        print("SpanRecord size \(MemoryLayout<SpanRecord>.size)")
        XCTAssertLessThanOrEqual(MemoryLayout<SpanRecord>.size, 4096)
    }
}
