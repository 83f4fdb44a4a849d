import Synchronization

/// The trace of a recent observation, kept per bucket so a dashboard can jump from a
/// percentile to a trace.
///
/// An exemplar is four words, so one atomic cannot carry it; the slot is a seqlock
/// (`MetricExemplar.words` cells: sequence, trace id high, trace id low, value bits, time).
/// The single writer makes the sequence odd, stores the words, then makes it even again with a
/// release store; a reader that sees the same even sequence before (acquire) and after (behind an
/// acquire fence) its relaxed loads has a consistent copy. Otherwise it retries a few times and
/// then shows no exemplar for that bucket this scrape: the writer never waits for a reader.
struct MetricExemplar: Equatable {
    var traceHi: UInt64
    var traceLo: UInt64
    var value: Double
    var unixNanos: UInt64

    static let words = 5
    private static let readAttempts = 16

    /// Writer side: only the slot's loop thread.
    func write(to slot: UnsafeMutablePointer<MetricCell>) {
        let seq = slot[0].load(ordering: .relaxed)
        slot[0].store(seq &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)      // the odd sequence is seen before any word
        slot[1].store(traceHi, ordering: .relaxed)
        slot[2].store(traceLo, ordering: .relaxed)
        slot[3].store(value.bitPattern, ordering: .relaxed)
        slot[4].store(unixNanos, ordering: .relaxed)
        slot[0].store(seq &+ 2, ordering: .releasing)
    }

    /// Reader side: any thread. Nil when the slot is empty or kept changing.
    static func read(from slot: UnsafeMutablePointer<MetricCell>) -> MetricExemplar? {
        for _ in 0..<readAttempts {
            let before = slot[0].load(ordering: .acquiring)
            if before == 0 { return nil }
            if before & 1 == 1 { continue }
            let e = MetricExemplar(
                traceHi: slot[1].load(ordering: .relaxed),
                traceLo: slot[2].load(ordering: .relaxed),
                value: Double(bitPattern: slot[3].load(ordering: .relaxed)),
                unixNanos: slot[4].load(ordering: .relaxed))
            atomicMemoryFence(ordering: .acquiring)  // the words are read before the check
            if slot[0].load(ordering: .relaxed) == before { return e }
        }
        return nil
    }
}
