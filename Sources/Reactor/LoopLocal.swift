/// One value per loop of a group, made for every loop at once (on the calling thread, before
/// the loops start) and then found by the loop: `local[loop]`. The one way per-loop state is
/// held, so the loop count is stated once, by the group.
///
/// Sendable without a check: the slots never change after `init`, and the thread that spawns
/// the loops made them, so every loop sees them. What a value does after that is its own
/// business: loop-bound values are used only on their loop's thread; values read from other
/// threads (counters a scrape sums) are atomic themselves.
public final class LoopLocal<Value>: @unchecked Sendable {
    @usableFromInline let values: ContiguousArray<Value>

    public init(_ group: LoopGroup, _ make: (EventLoop) throws -> Value) rethrows {
        values = ContiguousArray(try group.loops.map(make))
    }

    @inlinable public subscript(loop: EventLoop) -> Value { values[loop.index] }

    /// Every loop's value, in loop order (for sums across loops, e.g. at scrape time).
    public var all: ContiguousArray<Value> { values }
}
