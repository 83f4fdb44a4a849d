/// Trace and span ids from xoshiro256**, one generator per event loop (a value type with
/// no locks: keep it in loop-owned state). Seeded from the OS, so loops and processes differ.
public struct IDGenerator: Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator seeded with 256 bits from the kernel's entropy pool.
    public init() {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &words) { IDGenerator.fillFromKernel($0) }
        if ok, (words.0 | words.1 | words.2 | words.3) != 0 {
            self.init(state: words)
        } else {
            self.init(seed: IDGenerator.fallbackSeed())
        }
    }

    /// A reproducible generator, for tests and benchmarks.
    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        self.init(expanding: &sm)
    }

    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = state
    }

    /// SplitMix64 expansion is the seeding xoshiro's authors recommend; it cannot yield
    /// the all-zero state, from which xoshiro would never leave.
    private init(expanding sm: inout SplitMix64) {
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// A random, never all-zero trace id (all 128 bits random, which level 2's
    /// `random` flag promises for at least the low 56).
    public mutating func nextTraceID() -> TraceID {
        while true {
            let id = TraceID(hi: next(), lo: next())
            if id.isValid { return id }
        }
    }

    /// A random, never zero span id.
    public mutating func nextSpanID() -> SpanID {
        while true {
            let v = next()
            if v != 0 { return SpanID(v) }
        }
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }
}

struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
