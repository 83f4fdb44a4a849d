import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class TraceContextParentTests: XCTestCase {
    func testValidSampled() throws {
        let c = try XCTUnwrap(parseTraceParent(Vector.sampled))
        XCTAssertEqual(c.traceID, TraceID(hi: 0x4bf9_2f35_77b3_4da6, lo: 0xa3ce_929d_0e0e_4736))
        XCTAssertEqual(c.spanID, SpanID(0x00f0_67aa_0ba9_02b7))
        XCTAssertEqual(c.flags, .sampled)
        XCTAssertTrue(c.isSampled)
        XCTAssertTrue(c.isRemote)
        XCTAssertTrue(c.traceState.isEmpty)
    }

    func testValidUnsampledAndRandomFlag() throws {
        XCTAssertEqual(try XCTUnwrap(parseTraceParent(Vector.unsampled)).flags, [])
        XCTAssertEqual(parseTraceParent(Vector.traceparent(flags: "02"))?.flags, .random)
        XCTAssertEqual(parseTraceParent(Vector.traceparent(flags: "03"))?.flags, [.sampled, .random])
    }

    func testUnknownFlagBitsAreIgnored() {
        XCTAssertEqual(parseTraceParent(Vector.traceparent(flags: "ff"))?.flags.rawValue, 0x03)
        XCTAssertEqual(parseTraceParent(Vector.traceparent(flags: "09"))?.flags, .sampled)
        XCTAssertEqual(parseTraceParent(Vector.traceparent(flags: "04"))?.flags, [])
        XCTAssertEqual(parseTraceParent(Vector.traceparent(flags: "fc"))?.isSampled, false)
    }

    func testWrongLengths() {
        let tid = Vector.traceID, sid = Vector.spanID
        let cases = [
            "", "00", "00-", String(Vector.sampled.dropLast()),
            Vector.traceparent(traceID: String(tid.dropLast())),
            Vector.traceparent(traceID: tid + "0"),
            Vector.traceparent(spanID: String(sid.dropLast())),
            Vector.traceparent(spanID: sid + "0"),
            Vector.traceparent(flags: "1"),
            Vector.traceparent(flags: "011"),
            Vector.traceparent(version: "0"),
            Vector.traceparent(version: "000"),
        ]
        for c in cases { XCTAssertNil(parseTraceParent(c), c) }
    }

    func testUppercaseHexIsInvalid() {
        XCTAssertNil(parseTraceParent(Vector.traceparent(traceID: Vector.traceID.uppercased())))
        XCTAssertNil(parseTraceParent(Vector.traceparent(traceID: "4BF92F3577B34DA6A3CE929D0E0E4736")))
        XCTAssertNil(parseTraceParent(Vector.traceparent(spanID: "00F067AA0BA902B7")))
        XCTAssertNil(parseTraceParent(Vector.traceparent(flags: "0A")))
        XCTAssertNil(parseTraceParent(Vector.traceparent(version: "CC")))
    }

    func testNonHexCharacters() {
        XCTAssertNil(parseTraceParent(Vector.traceparent(traceID: "4bf92f3577b34da6a3ce929d0e0e473g")))
        XCTAssertNil(parseTraceParent(Vector.traceparent(traceID: "4bf92f3577b34da6a3ce929d0e0e473.")))
        XCTAssertNil(parseTraceParent(Vector.traceparent(spanID: "00f067aa0ba902bz")))
        XCTAssertNil(parseTraceParent(Vector.traceparent(spanID: "00f067aa 0ba902b")))
        XCTAssertNil(parseTraceParent(Vector.traceparent(version: "0g")))
        XCTAssertNil(parseTraceParent(Vector.traceparent(version: "g0")))
    }

    func testAllZeroIdsAreInvalid() {
        XCTAssertNil(parseTraceParent(Vector.traceparent(traceID: String(repeating: "0", count: 32))))
        XCTAssertNil(parseTraceParent(Vector.traceparent(spanID: String(repeating: "0", count: 16))))
        // One non-zero digit anywhere is enough.
        XCTAssertNotNil(parseTraceParent(Vector.traceparent(traceID: String(repeating: "0", count: 31) + "1")))
        XCTAssertNotNil(parseTraceParent(Vector.traceparent(traceID: "1" + String(repeating: "0", count: 31))))
        XCTAssertNotNil(parseTraceParent(Vector.traceparent(spanID: String(repeating: "0", count: 15) + "1")))
    }

    func testBadFlagsHex() {
        for flags in ["0g", "x1", "-1", "1-", " 1", "0x"] {
            XCTAssertNil(parseTraceParent(Vector.traceparent(flags: flags)), flags)
        }
    }

    func testVersionFFIsInvalid() {
        XCTAssertNil(parseTraceParent(Vector.traceparent(version: "ff")))
        XCTAssertNil(parseTraceParent(Vector.traceparent(version: "ff") + "-future"))
    }

    func testFutureVersions() throws {
        let plain = try XCTUnwrap(parseTraceParent(Vector.traceparent(version: "cc")))
        XCTAssertEqual(plain.traceID.hexString, Vector.traceID)
        let extended = try XCTUnwrap(parseTraceParent(Vector.traceparent(version: "cc") + "-what-the-future-will-be-like"))
        XCTAssertEqual(extended.spanID.hexString, Vector.spanID)
        XCTAssertTrue(extended.isSampled)
        XCTAssertNotNil(parseTraceParent(Vector.traceparent(version: "01", flags: "00") + "-"))
        XCTAssertEqual(parseTraceParent(Vector.traceparent(version: "fe", flags: "ff") + "-x")?.flags.rawValue, 0x03)
    }

    func testFutureVersionWithBadSeparators() {
        let cc = Vector.traceparent(version: "cc")
        XCTAssertNil(parseTraceParent(cc + ".what-the-future-will-be-like"))
        XCTAssertNil(parseTraceParent(cc + "what-the-future-will-be-like"))
        XCTAssertNil(parseTraceParent(cc + "0"))
        XCTAssertNil(parseTraceParent(Vector.traceparent(version: "cc", sep: "_")))
        XCTAssertNil(parseTraceParent("cc-" + Vector.traceID + "." + Vector.spanID + "-01-future"))
        // Still too short for any version.
        XCTAssertNil(parseTraceParent("cc-" + Vector.traceID + "-" + Vector.spanID + "-1"))
    }

    func testVersion00WithExtraFieldsIsInvalid() {
        XCTAssertNil(parseTraceParent(Vector.sampled + "-what-the-future-will-not-be-like"))
        XCTAssertNil(parseTraceParent(Vector.sampled + "-"))
        XCTAssertNil(parseTraceParent(Vector.sampled + "0"))
    }

    func testBadSeparators() {
        for sep in ["_", ".", " ", "+"] {
            XCTAssertNil(parseTraceParent(Vector.traceparent(sep: sep)), sep)
        }
        XCTAssertNil(parseTraceParent("00-" + Vector.traceID + "_" + Vector.spanID + "-01"))
        XCTAssertNil(parseTraceParent("00-" + Vector.traceID + "-" + Vector.spanID + "_01"))
        XCTAssertNil(parseTraceParent("00--" + Vector.traceID.dropFirst() + "-" + Vector.spanID + "-01"))
    }

    func testOptionalWhitespaceAroundTheValue() {
        for v in [" " + Vector.sampled, "\t" + Vector.sampled, Vector.sampled + " ", Vector.sampled + "\t",
                  "  \t" + Vector.sampled + " \t "] {
            XCTAssertEqual(parseTraceParent(v)?.spanID.hexString, Vector.spanID, v.debugDescription)
        }
    }

    func testWhitespaceInsideOrOtherControlsIsInvalid() {
        XCTAssertNil(parseTraceParent("00 -" + Vector.traceID + "-" + Vector.spanID + "-01"))
        XCTAssertNil(parseTraceParent("00- " + Vector.traceID + "-" + Vector.spanID + "-01"))
        XCTAssertNil(parseTraceParent(Vector.sampled + " x"))
        XCTAssertNil(parseTraceParent(Vector.sampled + "\r"))
        XCTAssertNil(parseTraceParent("\n" + Vector.sampled))
        XCTAssertNil(parseTraceParent("   "))
    }

    func testStringConvenienceAgreesWithBytes() {
        XCTAssertEqual(TraceParent.parse(Vector.sampled), parseTraceParent(Vector.sampled))
        XCTAssertNil(TraceParent.parse(Vector.traceparent(version: "ff")))
    }
}
