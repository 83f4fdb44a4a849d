import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class TraceContextSamplerTests: XCTestCase {
    private func fraction(_ sampler: Sampler, draws: Int = 100_000, seed: UInt64 = 7) -> Double {
        var g = IDGenerator(seed: seed)
        var hits = 0
        for _ in 0..<draws where sampler.shouldSample(traceID: g.nextTraceID(), parent: nil) { hits += 1 }
        return Double(hits) / Double(draws)
    }

    private func remote(sampled: Bool) -> SpanContext {
        SpanContext(traceID: TraceID(hi: 1, lo: 1), spanID: SpanID(1), flags: sampled ? .sampled : [], isRemote: true)
    }

    func testRatioOneSamplesEverything() {
        let s = Sampler(kind: .traceIDRatio, ratio: 1)
        XCTAssertEqual(fraction(s), 1.0)
        XCTAssertTrue(s.shouldSample(traceID: TraceID(hi: .max, lo: .max), parent: nil))
    }

    func testRatioZeroSamplesNothing() {
        let s = Sampler(kind: .traceIDRatio, ratio: 0)
        XCTAssertEqual(fraction(s), 0.0)
        XCTAssertFalse(s.shouldSample(traceID: TraceID(hi: 0, lo: 1), parent: nil))
        XCTAssertFalse(s.shouldSample(traceID: TraceID(hi: 1, lo: 0), parent: nil))
    }

    func testQuarterRatioWithinTolerance() {
        XCTAssertEqual(fraction(Sampler(kind: .traceIDRatio, ratio: 0.25)), 0.25, accuracy: 0.01)
        XCTAssertEqual(fraction(Sampler(kind: .parentBasedTraceIDRatio, ratio: 0.25), seed: 8), 0.25, accuracy: 0.01)
    }

    func testRatioUsesOnlyTheLow56Bits() {
        let s = Sampler(kind: .traceIDRatio, ratio: 0.5)
        XCTAssertTrue(s.shouldSample(traceID: TraceID(hi: 9, lo: 0x007F_FFFF_FFFF_FFFF), parent: nil))
        XCTAssertFalse(s.shouldSample(traceID: TraceID(hi: 9, lo: 0x0080_0000_0000_0000), parent: nil))
        XCTAssertTrue(s.shouldSample(traceID: TraceID(hi: .max, lo: 0xFF7F_FFFF_FFFF_FFFF), parent: nil))
        XCTAssertFalse(s.shouldSample(traceID: TraceID(hi: 0, lo: 0x00FF_FFFF_FFFF_FFFF), parent: nil))
    }

    func testParentBasedFollowsARemoteParent() {
        let none = Sampler(kind: .parentBasedTraceIDRatio, ratio: 0)
        let all = Sampler(kind: .parentBasedTraceIDRatio, ratio: 1)
        let id = TraceID(hi: 1, lo: 1)
        XCTAssertTrue(none.shouldSample(traceID: id, parent: remote(sampled: true)))
        XCTAssertFalse(all.shouldSample(traceID: id, parent: remote(sampled: false)))
        XCTAssertTrue(Sampler(kind: .parentBasedAlwaysOff).shouldSample(traceID: id, parent: remote(sampled: true)))
        XCTAssertFalse(Sampler(kind: .parentBasedAlwaysOn).shouldSample(traceID: id, parent: remote(sampled: false)))
    }

    func testParentBasedRootsUseTheirRootSampler() {
        let id = TraceID(hi: 1, lo: 1)
        XCTAssertTrue(Sampler(kind: .parentBasedAlwaysOn).shouldSample(traceID: id, parent: nil))
        XCTAssertFalse(Sampler(kind: .parentBasedAlwaysOff).shouldSample(traceID: id, parent: nil))
        XCTAssertFalse(Sampler(kind: .parentBasedTraceIDRatio, ratio: 0).shouldSample(traceID: id, parent: nil))
        let invalidParent = SpanContext(traceID: .invalid, spanID: SpanID(1), flags: .sampled)
        XCTAssertFalse(Sampler(kind: .parentBasedAlwaysOff).shouldSample(traceID: id, parent: invalidParent))
    }

    func testNonParentBasedKindsIgnoreTheParent() {
        let id = TraceID(hi: 1, lo: 1)
        XCTAssertTrue(Sampler(kind: .alwaysOn).shouldSample(traceID: id, parent: remote(sampled: false)))
        XCTAssertFalse(Sampler(kind: .alwaysOff).shouldSample(traceID: id, parent: remote(sampled: true)))
        XCTAssertFalse(Sampler(kind: .traceIDRatio, ratio: 0).shouldSample(traceID: id, parent: remote(sampled: true)))
    }

    func testEnvironmentDefaults() {
        let s = Sampler(environment: [:])
        XCTAssertEqual(s.kind, .parentBasedTraceIDRatio)
        XCTAssertEqual(s.ratio, 1.0)
        XCTAssertEqual(s, Sampler.default)
    }

    func testEnvironmentSamplerNames() {
        for kind in Sampler.Kind.allCases {
            XCTAssertEqual(Sampler(environment: ["OTEL_TRACES_SAMPLER": kind.rawValue]).kind, kind)
        }
        XCTAssertEqual(Sampler(environment: ["OTEL_TRACES_SAMPLER": "ALWAYS_OFF"]).kind, .alwaysOff)
        XCTAssertEqual(Sampler(environment: ["OTEL_TRACES_SAMPLER": " traceidratio\n"]).kind, .traceIDRatio)
        XCTAssertEqual(Sampler(environment: ["OTEL_TRACES_SAMPLER": "jaeger_remote"]).kind, .parentBasedTraceIDRatio)
        XCTAssertEqual(Sampler(environment: ["OTEL_TRACES_SAMPLER": ""]).kind, .parentBasedTraceIDRatio)
    }

    func testEnvironmentRatio() {
        func ratio(_ arg: String, _ name: String = "parentbased_traceidratio") -> Double {
            Sampler(environment: ["OTEL_TRACES_SAMPLER": name, "OTEL_TRACES_SAMPLER_ARG": arg]).ratio
        }
        XCTAssertEqual(ratio("0.25"), 0.25)
        XCTAssertEqual(ratio("0.25", "traceidratio"), 0.25)
        XCTAssertEqual(ratio(" 0.5 "), 0.5)
        XCTAssertEqual(ratio("0"), 0.0)
        XCTAssertEqual(ratio("1"), 1.0)
        for bad in ["abc", "1.5", "-0.1", "nan", "inf", "", "0.5x"] {
            XCTAssertEqual(ratio(bad), 1.0, bad)
        }
        XCTAssertEqual(Sampler(environment: ["OTEL_TRACES_SAMPLER_ARG": "0.1"]).ratio, 0.1)
        let on = Sampler(environment: ["OTEL_TRACES_SAMPLER": "always_on", "OTEL_TRACES_SAMPLER_ARG": "0"])
        XCTAssertTrue(on.shouldSample(traceID: TraceID(hi: 1, lo: 1), parent: nil))
    }

    func testExplicitRatioIsClamped() {
        XCTAssertEqual(Sampler(kind: .traceIDRatio, ratio: 2).ratio, 1)
        XCTAssertEqual(Sampler(kind: .traceIDRatio, ratio: -1).ratio, 0)
        XCTAssertEqual(Sampler(kind: .traceIDRatio, ratio: .nan).ratio, 1)
    }
}
