/// The head sampler: decides `sampled` when a span starts.
public struct Sampler: Hashable, Sendable {
    /// The `OTEL_TRACES_SAMPLER` values this sampler implements.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case alwaysOn = "always_on"
        case alwaysOff = "always_off"
        case traceIDRatio = "traceidratio"
        case parentBasedAlwaysOn = "parentbased_always_on"
        case parentBasedAlwaysOff = "parentbased_always_off"
        case parentBasedTraceIDRatio = "parentbased_traceidratio"
    }

    public let kind: Kind
    /// The sampled fraction of new traces, in 0...1 (used by the ratio kinds).
    public let ratio: Double
    /// Sampled iff the low 56 bits of the trace id are below this.
    let threshold: UInt64

    /// `ratio` outside 0...1 is clamped; NaN counts as 1.
    public init(kind: Kind = .parentBasedTraceIDRatio, ratio: Double = 1.0) {
        let r = ratio.isNaN ? 1.0 : min(max(ratio, 0.0), 1.0)
        self.kind = kind
        self.ratio = r
        // Exact: scaling by a power of two; ratio 1 gives 2^56, above every 56-bit value.
        self.threshold = UInt64(r * Sampler.scale)
    }

    /// The contract's default: parent-based, 100 % of new traces.
    public static let `default` = Sampler()

    static let scale = 72_057_594_037_927_936.0  // 2^56
    static let randomMask: UInt64 = 0x00FF_FFFF_FFFF_FFFF

    /// The decision for a span of `traceID` under `parent` (nil or invalid: a root span).
    /// Parent-based kinds follow the parent's `sampled` flag, remote or local alike.
    public func shouldSample(traceID: TraceID, parent: SpanContext?) -> Bool {
        switch kind {
        case .alwaysOn: return true
        case .alwaysOff: return false
        case .traceIDRatio: return ratioSamples(traceID)
        case .parentBasedAlwaysOn: return parentDecision(parent) ?? true
        case .parentBasedAlwaysOff: return parentDecision(parent) ?? false
        case .parentBasedTraceIDRatio: return parentDecision(parent) ?? ratioSamples(traceID)
        }
    }

    private func parentDecision(_ parent: SpanContext?) -> Bool? {
        guard let parent, parent.isValid else { return nil }
        return parent.isSampled
    }

    /// Deterministic on the trace id, so every service that sees the same trace id with the
    /// same ratio agrees. Level 2 guarantees randomness only for the low 56 bits.
    func ratioSamples(_ traceID: TraceID) -> Bool {
        (traceID.lo & Sampler.randomMask) < threshold
    }
}
