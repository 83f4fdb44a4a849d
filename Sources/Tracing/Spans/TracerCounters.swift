import Synchronization

/// A counter with one writer (a loop) and any readers (a scrape): the writer does a relaxed
/// load and store, never a contended read-modify-write.
public final class LoopCounter: @unchecked Sendable {
    private let cell = Atomic<Int>(0)
    public init() {}
    @inline(__always) public func add(_ n: Int = 1) {
        cell.store(cell.load(ordering: .relaxed) &+ n, ordering: .relaxed)
    }
    public var value: Int { cell.load(ordering: .relaxed) }
}

/// The span pipeline's counters on one loop.
public final class TracerCounters: @unchecked Sendable {
    public let started = LoopCounter()
    public let dropped = LoopCounter()
    /// Spans that kept a cut attribute value or lost a long tracestate.
    public let truncated = LoopCounter()
    public init() {}
}
