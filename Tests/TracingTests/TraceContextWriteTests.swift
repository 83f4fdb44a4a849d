import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class TraceContextWriteTests: XCTestCase {
    func testRoundTripOfSpecExamples() throws {
        for v in [Vector.sampled, Vector.unsampled, Vector.traceparent(flags: "02"), Vector.traceparent(flags: "03")] {
            XCTAssertEqual(try XCTUnwrap(parseTraceParent(v)).traceParent, v)
        }
    }

    func testWritesExactly55BytesIntoALargerBuffer() throws {
        let c = try XCTUnwrap(parseTraceParent(Vector.sampled))
        var buf = [UInt8](repeating: 0xAA, count: 64)
        let n = buf.withUnsafeMutableBytes { c.writeTraceParent(into: $0) }
        XCTAssertEqual(n, 55)
        XCTAssertEqual(String(decoding: buf[0..<55], as: UTF8.self), Vector.sampled)
        XCTAssertEqual(buf[55], 0xAA)
        XCTAssertEqual(c.traceParentBytes, Array(Vector.sampled.utf8))
    }

    func testFutureVersionIsWrittenAsVersion00() throws {
        let c = try XCTUnwrap(parseTraceParent(Vector.traceparent(version: "cc", flags: "ff") + "-extra"))
        XCTAssertEqual(c.traceParent, Vector.traceparent(flags: "03"))
    }

    func testUnknownFlagsAreNotPropagated() {
        let c = SpanContext(traceID: TraceID(hi: 1, lo: 2), spanID: SpanID(3), flags: TraceFlags(rawValue: 0xFD))
        XCTAssertEqual(c.traceParent, "00-00000000000000010000000000000002-0000000000000003-01")
    }

    func testIdHexKeepsLeadingZeros() {
        XCTAssertEqual(TraceID(hi: 0, lo: 1).hexString, String(repeating: "0", count: 31) + "1")
        XCTAssertEqual(TraceID(hi: .max, lo: .max).hexString, String(repeating: "f", count: 32))
        XCTAssertEqual(SpanID(0xA).hexString, "000000000000000a")
        XCTAssertEqual("\(SpanID(0x00f0_67aa_0ba9_02b7))", Vector.spanID)
    }

    func testIdRawBytesAreBigEndian() {
        var t = [UInt8](repeating: 0, count: 16)
        var s = [UInt8](repeating: 0, count: 8)
        _ = t.withUnsafeMutableBytes { TraceID(hi: 0x0102_0304_0506_0708, lo: 0x090A_0B0C_0D0E_0F10).writeBytes(into: $0) }
        _ = s.withUnsafeMutableBytes { SpanID(0x1112_1314_1516_1718).writeBytes(into: $0) }
        XCTAssertEqual(t, Array(1...16))
        XCTAssertEqual(s, Array(0x11...0x18))
    }

    func testIdHexParsing() {
        XCTAssertEqual(TraceID(hex: Vector.traceID)?.hexString, Vector.traceID)
        XCTAssertNil(TraceID(hex: Vector.traceID.uppercased()))
        XCTAssertNil(TraceID(hex: String(Vector.traceID.dropLast())))
        XCTAssertEqual(TraceID(hex: String(repeating: "0", count: 32))?.isValid, false)
        XCTAssertEqual(SpanID(hex: Vector.spanID)?.value, 0x00f0_67aa_0ba9_02b7)
        XCTAssertNil(SpanID(hex: "00f067aa0ba902b"))
    }

    func testRandomContextsRoundTrip() {
        var ids = IDGenerator(seed: 42)
        for i in 0..<2_000 {
            let c = SpanContext(traceID: ids.nextTraceID(), spanID: ids.nextSpanID(),
                                flags: TraceFlags(rawValue: UInt8(i & 3)))
            let back = TraceParent.parse(c.traceParent)
            guard back?.traceID == c.traceID, back?.spanID == c.spanID, back?.flags == c.flags else {
                return XCTFail("round trip failed for \(c.traceParent)")
            }
        }
    }
}
