import XCTest
@testable import ChainServices

/// `chain trace`: spans read from an OTLP/JSON span file or Tempo's answer, drawn as a waterfall.
final class WaterfallTests: XCTestCase {
    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"

    /// One OTLP/JSON line per service, as the exporter's file sink writes them. Times are chosen
    /// so the 40-column axis (32 ms) puts every bar edge on an exact column.
    static func otlpLine(_ service: String, _ spans: [(name: String, id: String, parent: String, startMs: UInt64, endMs: UInt64, error: Bool)],
                         trace: String = trace) -> String {
        let t0: UInt64 = 1_700_000_000_000_000_000
        let items = spans.map { s in
            """
            {"traceId":"\(trace)","spanId":"\(s.id)","parentSpanId":"\(s.parent)","name":"\(s.name)",\
            "startTimeUnixNano":"\(t0 + s.startMs * 1_000_000)","endTimeUnixNano":"\(t0 + s.endMs * 1_000_000)",\
            "status":{"code":\(s.error ? 2 : 0)}}
            """
        }.joined(separator: ",")
        return """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"\(service)"}}]},\
        "scopeSpans":[{"scope":{"name":"chain"},"spans":[\(items)]}]}]}
        """
    }

    static var threeServices: [String] {
        [
            otlpLine("audit-service", [("POST /audit", "00000000000000c1", "00000000000000b1", 16, 20, true)]),
            otlpLine("user-service", [
                ("POST /process", "00000000000000a1", "", 0, 32, false),
                ("POST", "00000000000000a2", "00000000000000a1", 8, 24, false),
                ("SELECT users", "00000000000000a3", "00000000000000a1", 4, 8, false),   // listed late, starts first
            ]),
            otlpLine("order-service", [("POST /orders", "00000000000000b1", "00000000000000a2", 12, 20, false)]),
            otlpLine("user-service", [("GET /health", "00000000000000f1", "", 0, 1, false)], trace: String(repeating: "1", count: 32)),
        ]
    }

    func spans(_ lines: [String]) throws -> [WaterfallSpan] {
        try lines.flatMap { WaterfallSpan.collect(try JSONReader.parse($0), traceID: Self.trace) }
    }

    func testThreeServicesNestByParentAndOrderByStart() throws {
        let out = Waterfall.render(try spans(Self.threeServices), traceID: Self.trace).split(separator: "\n").map(String.init)
        func row(_ label: String, from: Int, len: Int, _ ms: String, error: Bool = false) -> String {
            let bar = String(repeating: " ", count: from) + String(repeating: "#", count: len)
            return label.padding(toLength: 48, withPad: " ", startingAt: 0) + " |"
                + bar.padding(toLength: 40, withPad: " ", startingAt: 0) + "| \(ms) ms" + (error ? "  ERROR" : "")
        }
        XCTAssertEqual(out, [
            "trace \(Self.trace)  5 spans, 32.0 ms",
            row("user-service POST /process", from: 0, len: 40, "32.0"),
            row("  user-service SELECT users", from: 5, len: 5, "4.0"),
            row("  user-service POST", from: 10, len: 20, "16.0"),
            row("    order-service POST /orders", from: 15, len: 10, "8.0"),
            row("      audit-service POST /audit", from: 20, len: 5, "4.0", error: true),
        ])
    }

    func testSpanWhoseParentIsMissingIsDrawnAsARoot() throws {
        let lines = [Self.otlpLine("order-service", [("POST /orders", "00000000000000b1", "00000000000000ff", 0, 8, false)])]
        let out = Waterfall.render(try spans(lines), traceID: Self.trace).split(separator: "\n")
        XCTAssertEqual(out.count, 2)
        XCTAssertTrue(out[1].hasPrefix("order-service POST /orders "), String(out[1]))
        XCTAssertTrue(out[1].hasSuffix("|" + String(repeating: "#", count: 40) + "| 8.0 ms"), String(out[1]))
    }

    /// Tempo answers "batches" with base64 ids, the older scope name and status names.
    func testTempoAnswerIsReadLikeTheSpanFile() throws {
        let doc = """
        {"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"user-service"}}]},\
        "instrumentationLibrarySpans":[{"spans":[{"traceId":"S/kvNXezTaajzpKdDg5HNg==","spanId":"AAAAAAAAAKE=",\
        "name":"POST /process","startTimeUnixNano":"100","endTimeUnixNano":"2500100",\
        "status":{"code":"STATUS_CODE_ERROR"}}]}]}]}
        """
        let got = WaterfallSpan.collect(try JSONReader.parse(doc), traceID: Self.trace)
        XCTAssertEqual(got, [WaterfallSpan(service: "user-service", name: "POST /process", id: "00000000000000a1",
                                           parent: "", start: 100, end: 2_500_100, error: true)])
    }
}
