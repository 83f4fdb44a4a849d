import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class TraceContextIDTests: XCTestCase {
    func testXoshiro256StarStarReferenceOutputs() {
        var g = IDGenerator(state: (1, 2, 3, 4))
        XCTAssertEqual([g.next(), g.next(), g.next(), g.next()], [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    func testSplitMix64ReferenceOutputs() {
        var sm = SplitMix64(state: 1_234_567)
        XCTAssertEqual([sm.next(), sm.next(), sm.next()],
                       [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423])
    }

    func testNoZeroIdsOverManyDraws() {
        var g = IDGenerator()
        var zeroTrace = 0, zeroSpan = 0
        for _ in 0..<200_000 {
            if !g.nextTraceID().isValid { zeroTrace += 1 }
            if !g.nextSpanID().isValid { zeroSpan += 1 }
        }
        XCTAssertEqual(zeroTrace, 0)
        XCTAssertEqual(zeroSpan, 0)
    }

    func testZeroOutputsAreSkipped() {
        // State (1,2,3,4) yields 11520 then 0: the span id must skip the zero.
        var g = IDGenerator(state: (1, 2, 3, 4))
        XCTAssertEqual(g.nextSpanID(), SpanID(11520))
        XCTAssertEqual(g.nextSpanID(), SpanID(1_509_978_240))
    }

    func testIdsAreDistinct() {
        var g = IDGenerator()
        var seen = Set<TraceID>()
        for _ in 0..<20_000 { seen.insert(g.nextTraceID()) }
        XCTAssertEqual(seen.count, 20_000)
    }

    func testSeedsDiffer() {
        var a = IDGenerator(seed: 1), b = IDGenerator(seed: 2), a2 = IDGenerator(seed: 1)
        let sa = (0..<8).map { _ in a.nextSpanID() }
        XCTAssertNotEqual(sa, (0..<8).map { _ in b.nextSpanID() })
        XCTAssertEqual(sa, (0..<8).map { _ in a2.nextSpanID() })
        var os1 = IDGenerator(), os2 = IDGenerator()
        XCTAssertNotEqual(os1.nextTraceID(), os2.nextTraceID())
    }

    func testEveryBitVaries() {
        var g = IDGenerator()
        var or: UInt64 = 0, and: UInt64 = .max
        for _ in 0..<1_000 {
            let id = g.nextTraceID()
            or |= id.lo | id.hi
            and &= id.lo & id.hi
        }
        XCTAssertEqual(or, .max)
        XCTAssertEqual(and, 0)
    }

    func testKernelEntropyIsAvailable() {
        var words: (UInt64, UInt64) = (0, 0)
        XCTAssertTrue(withUnsafeMutableBytes(of: &words) { IDGenerator.fillFromKernel($0) })
        XCTAssertNotEqual(words.0 | words.1, 0)
        XCTAssertNotEqual(IDGenerator.fallbackSeed(), 0)
    }
}
