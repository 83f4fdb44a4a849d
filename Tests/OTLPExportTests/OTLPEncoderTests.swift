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
    /// A span plus the OTLP Span.flags value the encoders must produce for it (stated, not computed).
    struct Case {
        var span: ExportSpan
        var wantFlags: UInt32
    }

    static let tricky = "héllo ✓ 😀 \u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F} \"q\" \\ / \u{7F} \u{2028} end"

    static func cases() -> [Case] {
        let trace = (UInt64(0x4bf9_2f35_77b3_4da6), UInt64(0xa3ce_929d_0e0e_4736))
        var out: [Case] = []

        // Root server span: every attribute type and edge value, events, error status.
        out.append(Case(span: ExportSpan(
            traceID: trace, spanID: 0x00f0_67aa_0ba9_02b7, parentSpanID: 0,
            traceState: "", flags: 0x01, parentIsRemote: false,
            name: "POST /api/v1/process", kind: .server,
            startUnixNano: 1_700_000_000_123_456_789, endUnixNano: UInt64.max,
            attributes: [
                Attribute("http.request.method", "POST"),
                Attribute("http.response.status_code", Int64(500)),
                Attribute("min", Int64.min),
                Attribute("max", Int64.max),
                Attribute("zero", Int64(0)),
                Attribute("minus.one", Int64(-1)),
                Attribute("pi", 3.141592653589793),
                Attribute("tiny", Double.leastNonzeroMagnitude),
                Attribute("big", 1.7976931348623157e308),
                Attribute("neg.zero", -0.0),
                Attribute("zero.double", 0.0),
                Attribute("tenth", 0.1),
                Attribute("exp", 1e-7),
                Attribute("inf", Double.infinity),
                Attribute("minus.inf", -Double.infinity),
                Attribute("nan", Double.nan),
                Attribute("yes", true),
                Attribute("no", false),
                Attribute("empty", ""),
                Attribute("", "empty key"),
                Attribute("tricky", tricky),
                Attribute(tricky, Int64(7)),
            ],
            droppedAttributesCount: 3,
            events: [
                ExportEvent(name: "exception", timeUnixNano: 1_700_000_000_200_000_000, attributes: [
                    Attribute("exception.type", "DBError"),
                    Attribute("exception.message", "line1\nline2\t\"quoted\""),
                    Attribute("retry", Int64(-42)),
                    Attribute("fatal", true),
                    Attribute("ratio", -2.5),
                ], droppedAttributesCount: 1),
                ExportEvent(name: "", timeUnixNano: 0, attributes: []),
                ExportEvent(name: "ünïcode 😀", timeUnixNano: 1, attributes: [Attribute("k", "")]),
            ],
            droppedEventsCount: 2,
            status: .error, statusMessage: "boom: \"x\"\n\u{0}"), wantFlags: 0x101))

        // Child of a remote parent, not sampled, with a trace state, ok status, no attributes.
        out.append(Case(span: ExportSpan(
            traceID: trace, spanID: 0xffff_ffff_ffff_ffff, parentSpanID: 0x0102_0304_0506_0708,
            traceState: "vendor=abc,other=1", flags: 0x00, parentIsRemote: true,
            name: "order-service POST /process", kind: .client,
            startUnixNano: 1, endUnixNano: 2,
            status: .ok, statusMessage: ""), wantFlags: 0x300))

        // All defaults: unspecified kind, zero times, empty name, unset status, ids with zero bytes.
        out.append(Case(span: ExportSpan(
            traceID: (0, 1), spanID: 0xff, parentSpanID: 0xff00_0000_0000_0000,
            traceState: "", flags: 0x0, parentIsRemote: false,
            name: "", kind: .unspecified, startUnixNano: 0, endUnixNano: 0), wantFlags: 0x100))

        // Bits 8/9 passed in `flags` are replaced by what parentIsRemote says; reserved bits dropped.
        out.append(Case(span: ExportSpan(
            traceID: (UInt64.max, UInt64.max), spanID: 1, parentSpanID: 2,
            flags: 0xFFFF_F3FF, parentIsRemote: false,
            name: "internal", kind: .internal, startUnixNano: 10, endUnixNano: 11,
            status: .unset, statusMessage: "message without code"), wantFlags: 0x1FF))

        // Long strings: 2- and 3-byte length prefixes at every level.
        let long = String(repeating: "abcdefghij", count: 2_000)  // 20,000 bytes
        out.append(Case(span: ExportSpan(
            traceID: trace, spanID: 0x1234, parentSpanID: 0x00f0_67aa_0ba9_02b7,
            flags: 1, parentIsRemote: false,
            name: String(repeating: "n", count: 200), kind: .producer,
            startUnixNano: 5, endUnixNano: 6,
            attributes: [Attribute("long", long), Attribute(String(repeating: "k", count: 130), Int64(1))],
            events: [ExportEvent(name: "e", timeUnixNano: 7, attributes: [Attribute("long", long)])],
            status: .error, statusMessage: String(repeating: "m", count: 300)), wantFlags: 0x101))

        // A batch of ordinary spans.
        for i in 0 ..< 40 {
            out.append(Case(span: ExportSpan(
                traceID: (UInt64(i) << 32, UInt64(i) &* 0x9E37_79B9_7F4A_7C15), spanID: UInt64(i + 100),
                parentSpanID: i % 2 == 0 ? 0 : UInt64(i + 99),
                flags: UInt32(i % 2), parentIsRemote: i % 3 == 0,
                name: "span \(i)", kind: [SpanKind.internal, .server, .client, .producer, .consumer][i % 5],
                startUnixNano: UInt64(i) * 1_000_000_007, endUnixNano: UInt64(i) * 1_000_000_007 + 999,
                attributes: [Attribute("i", Int64(i)), Attribute("d", Double(i) / 7)],
                status: i % 4 == 0 ? .error : .unset, statusMessage: i % 8 == 0 ? "e\(i)" : ""),
                wantFlags: UInt32(i % 2) | 0x100 | (i % 3 == 0 ? 0x200 : 0)))
        }
        return out
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
        }
    }

    /// Both encodings of every case, decoded by the reference implementation and compared field by field.
    func testReferenceDecoderAgreesOnEveryField() throws {
        let dir = try TestSupport.makeTempDir()
        var keep = getenv("OTLP_TEST_KEEP") != nil  // keep the files for a look
        defer { if !keep { TestSupport.removeTree(dir) } }
        let python = try TestSupport.venvPython()
        let checker = "\(TestSupport.repoRoot())/Tests/otlp/check_otlp.py"
        let cases = Self.cases()
        let spans = cases.map(\.span)

        var proto: [UInt8] = []
        OTLPProtobuf.encodeTraces(resource: Self.resource, scopeName: Self.scopeName, scopeVersion: Self.scopeVersion,
                                  spans: spans, into: &proto)
        var json: [UInt8] = []
        OTLPJSON.encodeTraces(resource: Self.resource, scopeName: Self.scopeName, scopeVersion: Self.scopeVersion,
                              spans: spans, into: &json)
        XCTAssertGreaterThan(proto.count, 40_000)
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
        var wrongCases = cases
        wrongCases[1].wantFlags = 0x100
        wrongCases[0].span.attributes[2].value = .int(Int64.min + 1)
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
