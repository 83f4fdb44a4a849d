import Reactor
import Synchronization

/// A bounded single-producer single-consumer ring of fixed-size records: the producer is one
/// event loop, the consumer the exporter thread. A full ring refuses the record (the caller
/// counts the drop); neither side ever waits for the other.
///
/// Memory ordering: the producer writes the slot, then publishes it with a releasing store of
/// `tail`; the consumer's acquiring load of `tail` therefore sees the slot's contents. The
/// consumer reads the slot, then frees it with a releasing store of `head`; the producer's
/// acquiring load of `head` therefore never reuses a slot still being read. Each index is
/// written by one side only, so no read-modify-write is needed. Indices grow without wrapping
/// (Int is 64-bit) and are masked into the power-of-two capacity.
///
/// `@unchecked Sendable`: shared between exactly two threads under the contract above; the
/// producer alone calls `reserve`/`publish` (and owns `cachedHead`), the consumer alone calls
/// `drain`/`peek`/`release`.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    public let capacity: Int
    private let mask: Int
    let storage: ReservedPages<Element>
    private let slots: UnsafeMutablePointer<Element>
    private let head = Atomic<Int>(0)   // next slot to read; written by the consumer only
    private let tail = Atomic<Int>(0)   // next slot to write; written by the producer only
    // Producer-private cache of `head`: most pushes then need no load of the shared index.
    private var cachedHead = 0
    private let dropped = Atomic<Int>(0)

    /// `capacity` is rounded up to a power of two (at least 2).
    public init(capacity: Int) {
        var c = 2
        while c < capacity { c <<= 1 }
        self.capacity = c
        mask = c - 1
        // Zeroed by the kernel, so a producer that fills a slot only partially
        // (SpanRecord.copyUsed) never leaves truly uninitialized bytes behind; and a slot's
        // pages cost memory only once the producer first reaches it.
        storage = ReservedPages(count: c)
        slots = storage.base
    }

    /// Producer side: a pointer to the next free slot to fill in place, or nil when full;
    /// call `publish()` when done. Filling the slot in place saves copying a large record.
    @inline(__always)
    public func reserve() -> UnsafeMutablePointer<Element>? {
        let t = tail.load(ordering: .relaxed)
        if t - cachedHead == capacity {
            cachedHead = head.load(ordering: .acquiring)
            if t - cachedHead == capacity {
                dropped.add(1, ordering: .relaxed)
                return nil
            }
        }
        return slots + (t & mask)
    }

    @inline(__always)
    public func publish() {
        tail.store(tail.load(ordering: .relaxed) + 1, ordering: .releasing)
    }

    /// Consumer side: calls `body` on up to `max` records in order, then frees their slots.
    /// Returns how many were consumed.
    public func drain(max: Int = .max, _ body: (UnsafePointer<Element>) -> Void) -> Int {
        let h = head.load(ordering: .relaxed)          // only we write head
        let t = tail.load(ordering: .acquiring)
        let n = min(t - h, max)
        for i in 0..<n { body(slots + ((h + i) & mask)) }
        if n > 0 { head.store(h + n, ordering: .releasing) }
        return n
    }

    /// Consumer side: up to `max` of the oldest records, in order, as one or two contiguous runs
    /// (the second when the range wraps past the end of the storage), read in place and not yet
    /// freed. Invariant: the producer never writes a slot between `head` and the `tail` loaded
    /// here (it stops at `head + capacity`), so the runs stay valid and unchanged until the
    /// consumer calls `release` for them; the acquiring load of `tail` makes their contents
    /// visible. Release at most the number of records the runs hold.
    public func peek(max: Int = .max) -> (UnsafeBufferPointer<Element>, UnsafeBufferPointer<Element>) {
        let h = head.load(ordering: .relaxed)          // only we write head
        let t = tail.load(ordering: .acquiring)
        let n = min(t - h, max)
        let start = h & mask
        let first = min(n, capacity - start)
        return (UnsafeBufferPointer(start: slots + start, count: first),
                UnsafeBufferPointer(start: slots, count: n - first))
    }

    /// Consumer side: frees the `n` oldest records, after reading them through `peek`. The
    /// releasing store orders those reads before the producer may reuse the slots.
    public func release(_ n: Int) {
        guard n > 0 else { return }
        let h = head.load(ordering: .relaxed)
        precondition(n <= tail.load(ordering: .acquiring) - h, "SPSCRing.release: more than was peeked")
        head.store(h + n, ordering: .releasing)
    }

    /// Records waiting (approximate when read from the producer or a third thread).
    public var count: Int { tail.load(ordering: .acquiring) - head.load(ordering: .acquiring) }
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }
}
