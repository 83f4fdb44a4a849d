import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

/// The exporter's source copies encoded spans out of the rings: the request must hold the
/// oldest spans of each ring in turn, in order, across a ring's wrap, as `TracesRequest` encodes
/// them (that encoder is checked against the official protos in OTLPEncoderTests), and the bytes
/// must be freed only afterwards.
final class RingSpanSourceTests: XCTestCase {
    let resource = ExportResource(attributes: [Attribute("service.name", "ring-test")])

    /// Ends `n` spans named `label` on `t`, with a running number in attribute `i`.
    func spans(_ t: Tracer, _ label: StaticString, _ n: Int) {
        for i in 0..<n {
            let s = t.start(label, kind: .internal, parent: nil)
            t.setAttribute(s, "i", .int(Int64(i)))
            t.end(s)
        }
    }

    /// The entries the rings hold, oldest first, up to `max` in all, without consuming them.
    func copies(_ rings: [SpanRing], max: Int) -> [UInt8] {
        var out: [UInt8] = [], n = 0
        for r in rings where n < max {
            let e = r.peek(max: max - n)
            out += Array(e.first) + Array(e.second)
            n += e.count
        }
        return out
    }

    func testTakeCopiesAcrossRingsAndTheWrapThenFrees() {
        let t1 = Tracer(ringCapacity: 8, sampler: Sampler(), enabled: true)   // 4 KiB
        let t2 = Tracer(ringCapacity: 8, sampler: Sampler(), enabled: true)
        while t1.ring.usedBytes < 4000 { spans(t1, "warm", 1) }
        t1.ring.drain { _ in }            // ring 1's next spans wrap around its end
        spans(t1, "one", 7)
        spans(t2, "two", 5)
        XCTAssertFalse(t1.ring.peek().second.isEmpty, "ring 1's spans continue at its beginning")
        let rings = [t1.ring, t2.ring]
        let source = RingSpanSource(rings: rings, resource: resource, scopeName: "s", scopeVersion: "1")

        var want: [UInt8] = []
        copies(rings, max: 10).withUnsafeBytes {
            TracesRequest.encode(resource: resource, scopeName: "s", scopeVersion: "1", runs: [$0], into: &want)
        }
        var got: [UInt8] = [9, 9]        // appended after what `out` holds
        XCTAssertEqual(source.take(max: 10, encoding: .protobuf, into: &got), 10)
        XCTAssertEqual(Array(got.dropFirst(2)), want)
        XCTAssertEqual(got.prefix(2), [9, 9])
        XCTAssertEqual(t1.ring.count, 0, "ring 1's seven spans taken and freed")
        XCTAssertEqual(t1.ring.usedBytes, 0)
        XCTAssertEqual(t2.ring.count, 2, "three of ring 2's five taken")

        var json: [UInt8] = []
        XCTAssertEqual(source.take(max: 10, encoding: .json, into: &json), 2)
        let text = String(decoding: json, as: UTF8.self)
        XCTAssertEqual(text.components(separatedBy: #""name":"two""#).count, 3, text)
        XCTAssertTrue(text.contains(#"{"key":"i","value":{"intValue":"4"}}"#), text)

        var none: [UInt8] = []
        XCTAssertEqual(source.take(max: 10, encoding: .protobuf, into: &none), 0)
        XCTAssertTrue(none.isEmpty)
    }

    /// Each batch starts one ring further: a first ring that always has a full batch ready
    /// cannot keep the others waiting.
    func testBatchesStartAtEachRingInTurn() {
        let t1 = Tracer(sampler: Sampler(), enabled: true)
        let t2 = Tracer(sampler: Sampler(), enabled: true)
        spans(t1, "one", 8)
        spans(t2, "two", 8)
        let source = RingSpanSource(rings: [t1.ring, t2.ring], resource: resource, scopeName: "s", scopeVersion: "1")
        var out: [UInt8] = []
        XCTAssertEqual(source.take(max: 4, encoding: .protobuf, into: &out), 4)
        XCTAssertEqual([t1.ring.count, t2.ring.count], [4, 8])
        XCTAssertEqual(source.take(max: 4, encoding: .protobuf, into: &out), 4)
        XCTAssertEqual([t1.ring.count, t2.ring.count], [4, 4], "the second batch came from ring 2")
        XCTAssertEqual(source.take(max: 6, encoding: .protobuf, into: &out), 6)
        XCTAssertEqual([t1.ring.count, t2.ring.count], [0, 2], "the third from ring 1, then ring 2")
    }
}
