// End-to-end check of the OTLP encoders against the reference protobuf runtime: the spans below are
// encoded as OTLP/protobuf and OTLP/JSON, and Tests/otlp/check_otlp.py (in the venv that
// scripts/otlp-venv.sh makes) decodes both and compares every field with an expectation written here.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ChainTestSupport
import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class OTLPEncoderTests: XCTestCase {
    /// An encoded span (a ScopeSpans.spans field, as a loop's ring holds it), what it must
    /// decode to, and the OTLP Span.flags value it must carry (stated, not computed, for the
    /// records built here).
    struct Case {
        var wire: [UInt8]
        var span: ExportSpan
        var wantFlags: UInt32

        /// The expectation read from the record's fields (`exported()`), not from its encoding.
        init(record: SpanRecord, wantFlags: UInt32) {
            wire = withUnsafePointer(to: record) { SpanRecord.wireBytes($0) }
            span = record.exported()
            self.wantFlags = wantFlags
        }

        /// A span a tracer encoded: the expectation is its decoding, so what this case checks is
        /// that the reference decoder reads the bytes the same way.
        init(traced wire: [UInt8]) {
            self.wire = wire
            span = wire.withUnsafeBytes { RecordWire.span(field: $0) }!
            wantFlags = span.otlpFlags
        }
    }

    static let tricky = "héllo ✓ 😀 \u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F} \"q\" \\ / \u{7F} \u{2028} end"
    /// The same text where a record keeps it by pointer (keys and literal values have no length bound).
    static let trickyLiteral: StaticString = "héllo ✓ 😀 \u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F} \"q\" \\ / \u{7F} \u{2028} end"
    static let longLiteral: StaticString = """
        abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\
        abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij
        """  // 200 bytes: 2-byte length prefixes on the value, its KeyValue and the event

    /// `min`: the third attribute's value (another one makes a wrong expectation).
    static func cases(min: Int64 = Int64.min) -> [Case] {
        let trace = (UInt64(0x4bf9_2f35_77b3_4da6), UInt64(0xa3ce_929d_0e0e_4736))
        var out: [Case] = []

        // Root server span: every attribute type and edge value (past the record's 12, counted as
        // dropped), events (past 4 dropped, past 3 attributes each dropped), error status.
        out.append(Case(record: .make(
            trace: trace, spanID: 0x00f0_67aa_0ba9_02b7, parentID: 0,
            traceState: "", flags: 0x01, parentIsRemote: false,
            name: "POST /api/v1/process", kind: .server,
            start: 1_700_000_000_123_456_789, end: UInt64.max,
            attributes: [
                SpanAttribute("http.request.method", .literal("POST")),
                SpanAttribute("http.response.status_code", .int(500)),
                SpanAttribute("min", .int(min)),
                SpanAttribute("max", .int(Int64.max)),
                SpanAttribute("minus.one", .int(-1)),
                SpanAttribute("tiny", .double(Double.leastNonzeroMagnitude)),
                SpanAttribute("neg.zero", .double(-0.0)),
                SpanAttribute("nan", .double(Double.nan)),
                SpanAttribute("no", .bool(false)),
                SpanAttribute("", .text(InlineText("empty key"))),
                SpanAttribute("tricky", .literal(trickyLiteral)),
                SpanAttribute(trickyLiteral, .int(7)),
                SpanAttribute("over.the.limit", .int(1)),
            ],
            droppedAttributes: 3,
            events: [
                SpanEventSpec(name: "exception", time: 1_700_000_000_200_000_000, attributes: [
                    SpanAttribute("exception.type", .literal("DBError")),
                    SpanAttribute("exception.message", .text(InlineText("line1\nline2\t\"quoted\""))),
                    SpanAttribute("retry", .int(-42)),
                    SpanAttribute("fatal", .bool(true)),
                ], droppedAttributes: 1),
                SpanEventSpec(name: "", time: 0),
                SpanEventSpec(name: "ünïcode 😀", time: 1, attributes: [SpanAttribute("k", .text(InlineText("")))]),
                SpanEventSpec(name: "long", time: 2, attributes: [SpanAttribute("long", .literal(longLiteral))]),
                SpanEventSpec(name: "fifth", time: 3),
            ],
            droppedEvents: 2,
            status: .error, statusMessage: "boom: \"x\"\n\u{0}"), wantFlags: 0x101))

        // Child of a remote parent, not sampled, with a trace state, ok status, no attributes.
        out.append(Case(record: .make(
            trace: trace, spanID: 0xffff_ffff_ffff_ffff, parentID: 0x0102_0304_0506_0708,
            traceState: "vendor=abc,other=1", flags: 0x00, parentIsRemote: true,
            name: "order-service POST /process", kind: .client,
            start: 1, end: 2, status: .ok), wantFlags: 0x300))

        // All defaults: unspecified kind, zero times, empty name, unset status, ids with zero bytes.
        out.append(Case(record: .make(
            trace: (0, 1), spanID: 0xff, parentID: 0xff00_0000_0000_0000,
            flags: 0x0, name: "", kind: .unspecified, start: 0, end: 0), wantFlags: 0x100))

        // Every W3C flag bit set; a status message without a code.
        out.append(Case(record: .make(
            trace: (UInt64.max, UInt64.max), spanID: 1, parentID: 2, flags: 0xFF,
            name: "internal", kind: .internal, start: 10, end: 11,
            statusMessage: "message without code"), wantFlags: 0x1FF))

        // Text at its bounds: a name, value and status message cut at a character boundary.
        out.append(Case(record: .make(
            trace: trace, spanID: 0x1234, parentID: 0x00f0_67aa_0ba9_02b7, flags: 1,
            name: String(repeating: "n", count: 200), kind: .producer, start: 5, end: 6,
            attributes: [SpanAttribute("long", .literal(longLiteral)),
                         SpanAttribute("cut", .text(InlineText(String(repeating: "é", count: 40))))],
            status: .error, statusMessage: String(repeating: "m", count: 300)), wantFlags: 0x101))

        // Spans as a real tracer leaves them: remote parent with tracestate, events, an error.
        out += tracedSpans().map { Case(traced: $0) }

        // A batch of ordinary spans: together more than 16 KiB, so 3-byte length prefixes.
        for i in 0 ..< 200 {
            out.append(Case(record: .make(
                trace: (UInt64(i) << 32, UInt64(i) &* 0x9E37_79B9_7F4A_7C15), spanID: UInt64(i + 100),
                parentID: i % 2 == 0 ? 0 : UInt64(i + 99),
                flags: UInt8(i % 2), parentIsRemote: i % 3 == 0,
                name: "span \(i)", kind: [SpanKind.internal, .server, .client, .producer, .consumer][i % 5],
                start: UInt64(i) * 1_000_000_007, end: UInt64(i) * 1_000_000_007 + 999,
                attributes: [SpanAttribute("i", .int(Int64(i))), SpanAttribute("d", .double(Double(i) / 7))],
                status: i % 4 == 0 ? .error : .unset, statusMessage: i % 8 == 0 ? "e\(i)" : ""),
                wantFlags: UInt32(i % 2) | 0x100 | (i % 3 == 0 ? 0x200 : 0)))
        }
        return out
    }

    /// Three spans recorded through the Tracer's API and taken from its ring, as encoded there.
    static func tracedSpans() -> [[UInt8]] {
        let t = Tracer(sampler: Sampler(), enabled: true)
        var parent = TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")!
        parent.traceState = TraceState("congo=t61rcWkgMzE")!
        let a = t.start("POST /process", kind: .server, parent: parent, at: 1_700_000_000_000_000_000)
        t.setAttribute(a, "http.request.method", .literal("POST"))
        t.setAttribute(a, "user.id", .int(-42))
        t.setAttribute(a, "ratio", .double(0.25))
        t.setAttribute(a, "ok", .bool(true))
        t.setAttribute(a, "empty", .text(InlineText("")))
        t.setAttribute(a, "name", .text(InlineText("Ünïcode ✓ \"quoted\"\n")))
        let b = t.start("INSERT orders", kind: .client, parent: t.context(of: a))
        t.addEvent(b, "item", [SpanAttribute("sku", .text(InlineText("SKU-1-0"))), SpanAttribute("q", .int(0))], at: 5)
        t.recordError(b, type: "PGError", message: "duplicate key value violates unique constraint")
        t.end(b, at: 1_700_000_000_000_500_000)
        for i in 0..<14 { t.setAttribute(a, "extra", .int(Int64(i))) }
        for _ in 0..<5 { t.addEvent(a, "e") }
        t.end(a, at: 1_700_000_000_001_000_000)
        let c = t.start("root", kind: .internal, parent: nil, at: 7)
        t.end(c, at: 9)
        var spans: [[UInt8]] = []
        t.ring.drain { spans.append(Array($0)) }
        precondition(spans.count == 3)
        return spans
    }

    static let resource = ExportResource(attributes: [
        Attribute("service.name", "order-service"),
        Attribute("service.instance.id", "host-1:5002"),
        Attribute("process.pid", Int64(4242)),
        Attribute("telemetry.sdk.language", "swift"),
        Attribute("unicode", tricky),
    ])
    static let scopeName = "chain.telemetry"
    static let scopeVersion = "1.0.0-ü"

    // MARK: expectation for check_otlp.py

    static func hex(_ v: UInt64) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h
    }

    static func expected(_ a: Attribute) -> TJSON {
        var m: [(String, TJSON)] = [("key", .string(a.key))]
        switch a.value {
        case .string(let s): m += [("type", .string("string")), ("value", .string(s))]
        case .int(let i): m += [("type", .string("int")), ("value", .int(i))]
        case .bool(let b): m += [("type", .string("bool")), ("value", .bool(b))]
        case .double(let d): m += [("type", .string("double")), ("bits", .int(d.bitPattern))]
        }
        return .object(m)
    }

    static func expected(resource: ExportResource, scopeName: String, scopeVersion: String, cases: [Case]) -> TJSON {
        .object([
            ("resource", .object([("attributes", .array(resource.attributes.map(expected)))])),
            ("scope", .object([("name", .string(scopeName)), ("version", .string(scopeVersion))])),
            ("spans", .array(cases.map { c in
                let s = c.span
                return .object([
                    ("traceId", .string(hex(s.traceID.0) + hex(s.traceID.1))),
                    ("spanId", .string(hex(s.spanID))),
                    ("parentSpanId", .string(s.parentSpanID == 0 ? "" : hex(s.parentSpanID))),
                    ("traceState", .string(s.traceState)),
                    ("flags", .int(c.wantFlags)),
                    ("name", .string(s.name)),
                    ("kind", .int(s.kind.rawValue)),
                    ("startTimeUnixNano", .int(s.startUnixNano)),
                    ("endTimeUnixNano", .int(s.endUnixNano)),
                    ("attributes", .array(s.attributes.map(expected))),
                    ("droppedAttributesCount", .int(s.droppedAttributesCount)),
                    ("events", .array(s.events.map { e in
                        .object([
                            ("name", .string(e.name)),
                            ("timeUnixNano", .int(e.timeUnixNano)),
                            ("attributes", .array(e.attributes.map(expected))),
                            ("droppedAttributesCount", .int(e.droppedAttributesCount)),
                        ])
                    })),
                    ("droppedEventsCount", .int(s.droppedEventsCount)),
                    ("status", .object([("code", .int(s.status.rawValue)), ("message", .string(s.statusMessage))])),
                ])
            })),
        ])
    }

    // MARK: tests

    func testFlagsValue() {
        for c in Self.cases() {
            XCTAssertEqual(c.span.otlpFlags, c.wantFlags, c.span.name)
            let decoded = c.wire.withUnsafeBytes { RecordWire.span(field: $0) }
            XCTAssertEqual(decoded?.otlpFlags, c.wantFlags, c.span.name)
        }
    }

    /// A span's encoding decodes to what its record's fields hold: the JSON span file reads spans
    /// back this way.
    func testEncodedSpansDecodeToTheirRecordsFields() {
        for c in Self.cases() {
            var want: [UInt8] = [], got: [UInt8] = []
            OTLPJSON.encodeTraces(resource: Self.resource, scopeName: "s", scopeVersion: "1", spans: [c.span], into: &want)
            let decoded = c.wire.withUnsafeBytes { RecordWire.span(field: $0) }
            XCTAssertNotNil(decoded, c.span.name)
            OTLPJSON.encodeTraces(resource: Self.resource, scopeName: "s", scopeVersion: "1", spans: decoded.map { [$0] } ?? [],
                                  into: &got)
            XCTAssertEqual(String(decoding: got, as: UTF8.self), String(decoding: want, as: UTF8.self))
        }
        var wire = Self.cases()[0].wire
        wire[wire.count - 3] ^= 0xFF   // a corrupt flags value still decodes; a cut span does not
        XCTAssertNotNil(wire.withUnsafeBytes { RecordWire.span(field: $0) })
        XCTAssertNil(wire.dropLast().withUnsafeBytes { RecordWire.span(field: $0) })
    }

    /// Both encodings of every case as the exporter makes them from a ring (protobuf: the encoded
    /// spans copied; OTLP/JSON: decoded from them), decoded by the reference implementation and
    /// compared field by field with the expectation.
    func testReferenceDecoderAgreesOnEveryField() throws {
        let dir = try TestSupport.makeTempDir()
        var keep = getenv("OTLP_TEST_KEEP") != nil  // keep the files for a look
        defer { if !keep { TestSupport.removeTree(dir) } }
        let python = try TestSupport.venvPython()
        let checker = "\(TestSupport.repoRoot())/Tests/otlp/check_otlp.py"
        let cases = Self.cases()
        let wire = cases.flatMap(\.wire)

        var proto: [UInt8] = [], json: [UInt8] = []
        wire.withUnsafeBytes { run in
            TracesRequest.encode(resource: Self.resource, scopeName: Self.scopeName, scopeVersion: Self.scopeVersion,
                                 runs: [run], into: &proto)
            TracesRequest.encodeJSON(resource: Self.resource, scopeName: Self.scopeName, scopeVersion: Self.scopeVersion,
                                     runs: [run], into: &json)
        }
        XCTAssertGreaterThan(proto.count, 16_384)
        XCTAssertFalse(json.contains(UInt8(ascii: "\n")), "OTLP/JSON must be one line")

        try TestSupport.writeFile("\(dir)/traces.pb", proto)
        try TestSupport.writeFile("\(dir)/traces.json", json)
        let want = Self.expected(resource: Self.resource, scopeName: Self.scopeName, scopeVersion: Self.scopeVersion,
                                 cases: cases)
        try TestSupport.writeFile("\(dir)/expected.json", Array(want.text.utf8))

        for (mode, file) in [("proto", "traces.pb"), ("json", "traces.json")] {
            let status = try TestSupport.run(
                [python, checker, mode, "\(dir)/\(file)", "\(dir)/expected.json"],
                stdout: "\(dir)/\(mode).out", stderr: "\(dir)/\(mode).err", timeout: 120)
            if status != 0 { keep = true }
            XCTAssertEqual(status, 0, """
                check_otlp.py \(mode) failed (files kept in \(dir)):
                \(TestSupport.readText("\(dir)/\(mode).out"))\(TestSupport.readText("\(dir)/\(mode).err"))
                """)
        }

        // The checker must see a difference: one changed expectation, and one corrupted encoding.
        var wrongCases = Self.cases(min: Int64.min + 1)
        wrongCases[1].wantFlags = 0x100
        let wrong = Self.expected(resource: Self.resource, scopeName: Self.scopeName, scopeVersion: Self.scopeVersion,
                                  cases: wrongCases)
        try TestSupport.writeFile("\(dir)/wrong.json", Array(wrong.text.utf8))
        for (mode, file) in [("proto", "traces.pb"), ("json", "traces.json")] {
            let status = try TestSupport.run(
                [python, checker, mode, "\(dir)/\(file)", "\(dir)/wrong.json"],
                stdout: "\(dir)/wrong.out", stderr: "\(dir)/wrong.err", timeout: 120)
            XCTAssertEqual(status, 1, "check_otlp.py \(mode) accepted a wrong expectation: "
                + TestSupport.readText("\(dir)/wrong.err"))
            let report = TestSupport.readText("\(dir)/wrong.out")
            XCTAssertTrue(report.contains("$.spans[1].flags"), report)
            XCTAssertTrue(report.contains("$.spans[0].attributes[2].value"), report)
        }
        var base64IDs = json  // hex ids are OTLP/JSON; base64 would be plain proto3 JSON: must be refused
        let hexID = Array("\"spanId\":\"00f067aa0ba902b7\"".utf8)
        let b64ID = Array("\"spanId\":\"APBnqgupArc=\"".utf8)
        if let at = base64IDs.firstRange(of: hexID) { base64IDs.replaceSubrange(at, with: b64ID) }
        XCTAssertNotEqual(base64IDs, json)
        try TestSupport.writeFile("\(dir)/b64.json", base64IDs)
        let status = try TestSupport.run(
            [python, checker, "json", "\(dir)/b64.json", "\(dir)/expected.json"],
            stdout: "\(dir)/b64.out", stderr: "\(dir)/b64.err", timeout: 120)
        XCTAssertEqual(status, 1, "check_otlp.py json accepted base64 ids")
    }
}
