import XCTest
@testable import Tracing
@testable import OTLPExport

/// A record keeps its attributes and events as protobuf (Tracing's AttributeWire.swift). Those
/// bytes must be what the exporter's other encoder, the one for `ExportSpan` values, writes for
/// the same attributes; and they must read back as what was set.
final class RecordWireTests: XCTestCase {
    static let long: StaticString = """
        SELECT id, name, tier FROM users WHERE id = ANY($1::bigint[]) AND name IS NOT NULL AND tier \
        IN ('standard', 'gold', 'platinum') ORDER BY id
        """   // over 127 bytes: two-byte lengths

    /// Every kind of value, and the edges of each encoding.
    static let attributes: [(SpanAttribute, Attribute)] = [
        (SpanAttribute("http.request.method", .literal("POST")), Attribute("http.request.method", "POST")),
        (SpanAttribute("zero", .int(0)), Attribute("zero", Int64(0))),
        (SpanAttribute("min", .int(Int64.min)), Attribute("min", Int64.min)),
        (SpanAttribute("max", .int(Int64.max)), Attribute("max", Int64.max)),
        (SpanAttribute("port", .int(127)), Attribute("port", Int64(127))),
        (SpanAttribute("port2", .int(128)), Attribute("port2", Int64(128))),
        (SpanAttribute("neg.zero", .double(-0.0)), Attribute(key: "neg.zero", value: .double(-0.0))),
        (SpanAttribute("yes", .bool(true)), Attribute(key: "yes", value: .bool(true))),
        (SpanAttribute("no", .bool(false)), Attribute(key: "no", value: .bool(false))),
        (SpanAttribute("", .text(InlineText("empty key"))), Attribute("", "empty key")),
        (SpanAttribute("empty", .text(InlineText(""))), Attribute("empty", "")),
        (SpanAttribute("db.query.text", .literal(long)), Attribute("db.query.text", long.description)),
    ]

    func testAttributeBytesAreTheExportEncodersBytes() {
        for chunk in stride(from: 0, to: Self.attributes.count, by: SpanRecord.maxAttributes) {
            let part = Self.attributes[chunk ..< min(chunk + SpanRecord.maxAttributes, Self.attributes.count)]
            var r = SpanRecord()
            for (a, _) in part { r.add(a) }
            let want = Self.encode(part.map { $0.1 }, field: 9)
            let got = withUnsafePointer(to: &r) { Array(SpanRecord.attributeBytes($0)) }
            XCTAssertEqual(got, want)
            XCTAssertEqual(r.attributeCount, UInt8(part.count))
            let decoded = r.exported().attributes
            XCTAssertEqual(decoded.count, part.count)
            for (d, (_, want)) in zip(decoded, part) {
                XCTAssertEqual(d.key, want.key)
                if case .double(let x) = want.value, case .double(let y) = d.value {
                    XCTAssertEqual(x.bitPattern, y.bitPattern, want.key)   // -0.0 stays -0.0
                } else {
                    XCTAssertEqual(d.value, want.value, want.key)
                }
            }
        }
        var nan = SpanRecord()
        nan.add(SpanAttribute("nan", .double(.nan)))
        guard case .double(let d) = nan.exported().attributes.first?.value else { return XCTFail("no double") }
        XCTAssertTrue(d.isNaN)
    }

    func testEventBytesDecodeToWhatWasAdded() {
        var r = SpanRecord()
        r.addEvent("item", at: 1_700_000_000_000_000_123, [
            SpanAttribute("sku", .text(InlineText("SKU-1002-0"))), SpanAttribute("quantity", .int(2)),
            SpanAttribute("unit_price_cents", .int(1999)), SpanAttribute("fourth", .bool(true)),
        ], extraDropped: 2)
        r.addEvent("", at: 0, [])
        let events = r.exported().events
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events[0].name, "item")
        XCTAssertEqual(events[0].timeUnixNano, 1_700_000_000_000_000_123)
        XCTAssertEqual(events[0].attributes, [Attribute("sku", "SKU-1002-0"), Attribute("quantity", Int64(2)),
                                              Attribute("unit_price_cents", Int64(1999))])
        XCTAssertEqual(events[0].droppedAttributesCount, 3, "one past the three kept, and two more")
        XCTAssertEqual(events[1].name, "")
        XCTAssertEqual(events[1].timeUnixNano, 0)
        XCTAssertEqual(events[1].attributes, [])
        // The first event's attributes are the export encoder's bytes too, as Event field 3.
        let bytes = withUnsafePointer(to: &r) { Array(SpanRecord.eventBytes($0)) }
        let attrs = Self.encode(events[0].attributes, field: 3)
        XCTAssertNotNil(bytes.firstRange(of: attrs))
    }

    /// The three-attribute event and `setAttribute`, encoded at their call sites, write what
    /// the general forms write.
    func testInlinedFormsWriteTheGeneralFormsBytes() {
        let t = Tracer(sampler: Sampler(), enabled: true)
        let s = t.start("s", kind: .internal, parent: nil, at: 7)
        let attrs = [SpanAttribute("sku", .text(InlineText("SKU-1002-0"))), SpanAttribute("quantity", .int(300)),
                     SpanAttribute("unit_price_cents", .int(-1))]
        t.addEvent(s, "item", attrs[0], attrs[1], attrs[2], at: 42)
        for (a, _) in Self.attributes.prefix(SpanRecord.maxAttributes) { t.setAttribute(s, a.key, a.value) }
        t.end(s, at: 9)
        var got: [UInt8] = []
        XCTAssertEqual(t.ring.drain { got = Array($0) }, 1)
        // The same span through the general forms, and encoded as the tracer's `end` does.
        var want = SpanRecord()
        want.traceHi = s.traceID.hi
        want.traceLo = s.traceID.lo
        want.spanID = s.spanID.value
        want.flags = s.flags.rawValue
        want.kind = UInt8(SpanKind.internal.rawValue)
        want.name = .literal("s")
        want.startUnixNano = 7
        want.endUnixNano = 9
        want.addEvent("item", at: 42, attrs)
        for (a, _) in Self.attributes.prefix(SpanRecord.maxAttributes) { want.add(a) }
        XCTAssertEqual(got, withUnsafePointer(to: want) { SpanRecord.wireBytes($0) })
        XCTAssertEqual(want.attributeCount, UInt8(SpanRecord.maxAttributes))
        XCTAssertEqual(want.eventCount, 1)
    }

    static let kilobyte: StaticString = """
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
        """   // 1,000 bytes

    func testAFullAreaDropsAndCounts() {
        var r = SpanRecord()
        // 1,012 bytes an attribute: two fit in 2,048, a third does not; a small one still does.
        for _ in 0..<3 { r.add(SpanAttribute("k", .literal(Self.kilobyte))) }
        XCTAssertEqual(r.attributeCount, 2)
        XCTAssertEqual(r.droppedAttributes, 1)
        r.add(SpanAttribute("n", .int(1)))
        XCTAssertEqual(r.attributeCount, 3)
        XCTAssertLessThanOrEqual(Int(r.attributeByteCount), SpanRecord.attributeCapacity)
        XCTAssertEqual(r.exported().attributes.map(\.key), ["k", "k", "n"])
    }

    /// Attributes encoded beforehand land as `setAttribute` would have written them, between the
    /// attributes around them; a block that does not fit whole is dropped whole, and counted.
    func testEncodedAttributesAppendWhole() {
        let t = Tracer(sampler: Sampler(), enabled: true)
        let block = EncodedAttributes(Self.attributes.prefix(3).map(\.0))
        let a = t.start("a", kind: .server, parent: nil)
        t.setAttribute(a, "first", .int(1))
        t.addAttributes(a, block)
        t.setAttribute(a, "path", utf8: UnsafeRawBufferPointer(start: Self.long.utf8Start, count: Self.long.utf8CodeUnitCount))
        t.end(a)
        let b = t.start("b", kind: .server, parent: nil)
        t.setAttribute(b, "first", .int(1))
        for (attr, _) in Self.attributes.prefix(3) { t.setAttribute(b, attr.key, attr.value) }
        t.setAttribute(b, "path", .text(InlineText(Self.long.description)))
        for _ in 0..<7 { t.setAttribute(b, "k", .int(0)) }
        t.addAttributes(b, block)       // 12 attributes already: the block's 3 do not fit
        t.end(b)
        let spans = t.ring.drainExported()
        XCTAssertEqual(spans.count, 2)
        XCTAssertEqual(spans[0].attributes, Array(spans[1].attributes.prefix(5)))
        XCTAssertEqual(spans[0].attributes.map(\.key), ["first", "http.request.method", "zero", "min", "path"])
        XCTAssertEqual(spans[0].attributes.last?.value, .string(String(Self.long.description.prefix(47))))
        XCTAssertEqual(spans[0].droppedAttributesCount, 0)
        XCTAssertEqual(spans[1].attributes.count, SpanRecord.maxAttributes)
        XCTAssertEqual(spans[1].droppedAttributesCount, 3)
        XCTAssertEqual(t.counters.truncated.value, 2, "the cut path, on both spans")
    }

    static func encode(_ attributes: [Attribute], field: UInt32) -> [UInt8] {
        let n = OTLPProtobuf.attributesSize(field, attributes)
        var out = [UInt8](repeating: 0, count: n + ProtoWriter.slack)
        out.withUnsafeMutableBufferPointer { b in
            var w = ProtoWriter(base: b.baseAddress!, length: n)
            OTLPProtobuf.writeAttributes(&w, field, attributes)
            precondition(w.position == n)
        }
        return Array(out[0 ..< n])
    }
}
