import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

/// The exporter's source reads span records in the rings' slots: the request it encodes must
/// be byte for byte the one encoded from copies of the same records (that encoder is checked
/// against the official protos in OTLPWireTests), and the slots must be freed only afterwards.
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

    /// Copies of what the rings hold, oldest first, without consuming them.
    func copies(_ rings: [SPSCRing<SpanRecord>], max: Int) -> [SpanRecord] {
        var out: [SpanRecord] = []
        for r in rings where out.count < max {
            let (a, b) = r.peek(max: max - out.count)
            out += Array(a) + Array(b)
        }
        return out
    }

    func testTakeEncodesInPlaceAcrossRingsAndTheWrapThenFrees() {
        let t1 = Tracer(ringCapacity: 8, sampler: Sampler(), enabled: true)
        let t2 = Tracer(ringCapacity: 8, sampler: Sampler(), enabled: true)
        spans(t1, "warm", 6)
        _ = t1.ring.drain { _ in }       // ring 1's next records wrap around its end
        spans(t1, "one", 7)
        spans(t2, "two", 5)
        let rings = [t1.ring, t2.ring]
        let source = RingSpanSource(rings: rings, resource: resource, scopeName: "s", scopeVersion: "1")

        var want: [UInt8] = []
        SpanRecord.encodeProtobuf(resource: resource, scopeName: "s", scopeVersion: "1", spans: copies(rings, max: 10), into: &want)
        var got: [UInt8] = [9, 9]        // appended after what `out` holds
        XCTAssertEqual(source.take(max: 10, encoding: .protobuf, into: &got), 10)
        XCTAssertEqual(Array(got.dropFirst(2)), want)
        XCTAssertEqual(got.prefix(2), [9, 9])
        XCTAssertEqual(t1.ring.count, 0, "ring 1's seven records taken and freed")
        XCTAssertEqual(t2.ring.count, 2, "three of ring 2's five taken")

        var wantRest: [UInt8] = []
        SpanRecord.encodeJSON(resource: resource, scopeName: "s", scopeVersion: "1", spans: copies(rings, max: 10), into: &wantRest)
        var json: [UInt8] = []
        XCTAssertEqual(source.take(max: 10, encoding: .json, into: &json), 2)
        XCTAssertEqual(json, wantRest)
        XCTAssertTrue(String(decoding: json, as: UTF8.self).contains(#""name":"two""#), String(decoding: json, as: UTF8.self))

        var none: [UInt8] = []
        XCTAssertEqual(source.take(max: 10, encoding: .protobuf, into: &none), 0)
        XCTAssertTrue(none.isEmpty)
    }

    /// Each batch starts one ring further: a first ring that always has a full batch ready
    /// cannot keep the others waiting.
    func testBatchesStartAtEachRingInTurn() {
        let t1 = Tracer(ringCapacity: 16, sampler: Sampler(), enabled: true)
        let t2 = Tracer(ringCapacity: 16, sampler: Sampler(), enabled: true)
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
