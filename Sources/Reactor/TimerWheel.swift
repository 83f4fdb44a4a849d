/// A timer that can be armed, re-armed and cancelled in O(1) without allocating: connections
/// own one each and move it on every state change (idle, reading head, reading body, deadline).
public final class LoopTimer {
    fileprivate var deadlineTick: UInt64 = 0
    /// The tick whose slot holds it: its deadline, or an earlier one it was armed for before a
    /// re-arm moved its deadline later (it moves when that slot comes up; see `arm`).
    fileprivate var linkedTick: UInt64 = 0
    fileprivate var slot = -1                        // -1: not armed
    fileprivate var firing = false                   // due in the pass under way
    fileprivate var next: LoopTimer?
    // Invariant: while armed, the node is kept alive by `prev.next` or its slot head,
    // so an unowned back pointer cannot dangle.
    fileprivate unowned(unsafe) var prev: LoopTimer?
    /// Settable so an owner can make its timer in its own initializer and point it at itself
    /// once initialized (see `ServerConnection.timer`).
    public var action: () -> Void

    public init(_ action: @escaping () -> Void) { self.action = action }
    public var isArmed: Bool { slot >= 0 }
}

/// A hashed timing wheel (Varghese & Lauck): 1 ms ticks, 4096 slots. A slot holds every timer
/// whose deadline tick maps to it, from any revolution; a bitmap of non-empty slots lets the loop
/// find how long it may sleep without scanning the wheel.
public final class TimerWheel {
    static let tickNanos: UInt64 = 1_000_000
    static let slotCount = 4096
    private static let mask = slotCount - 1
    private var heads = [LoopTimer?](repeating: nil, count: slotCount)
    private var occupied = [UInt64](repeating: 0, count: slotCount / 64)
    private var currentTick: UInt64
    public private(set) var count = 0

    public init(now: Instant) { currentTick = now.nanoseconds / Self.tickNanos }

    /// Arms (or re-arms) `timer` to fire at `when`.
    ///
    /// A re-arm to a later deadline (a connection going from handling a request to idle, every
    /// request) only records the deadline: the timer stays in its slot and moves when that slot
    /// comes up (`fireSlot`), so most re-arms relink nothing. An earlier deadline relinks at once.
    public func arm(_ timer: LoopTimer, at when: Instant) {
        // Never schedule into the slot being processed: a timer fires at the earliest next tick.
        let tick = max(when.nanoseconds / Self.tickNanos, currentTick + 1)
        timer.firing = false
        timer.deadlineTick = tick
        if timer.isArmed {
            if tick >= timer.linkedTick { return }
            unlink(timer)
        }
        link(timer, at: tick)
    }

    private func link(_ timer: LoopTimer, at tick: UInt64) {
        let s = Int(tick & UInt64(Self.mask))
        timer.linkedTick = tick
        timer.slot = s
        timer.prev = nil
        timer.next = heads[s]
        heads[s]?.prev = timer
        heads[s] = timer
        occupied[s >> 6] |= 1 << UInt64(s & 63)
        count += 1
    }

    /// Arms `timer` at `when` unless it is armed to fire by then already.
    public func arm(_ timer: LoopTimer, atOrBefore when: Instant) {
        if timer.isArmed && timer.deadlineTick <= when.nanoseconds / Self.tickNanos { return }
        arm(timer, at: when)
    }

    public func cancel(_ timer: LoopTimer) {
        if timer.isArmed { unlink(timer) }
        timer.firing = false
    }

    private func unlink(_ timer: LoopTimer) {
        let s = timer.slot
        if let p = timer.prev { p.next = timer.next } else { heads[s] = timer.next }
        timer.next?.prev = timer.prev
        if heads[s] == nil { occupied[s >> 6] &= ~(1 << UInt64(s & 63)) }
        timer.next = nil
        timer.prev = nil
        timer.slot = -1
        count -= 1
    }

    /// Milliseconds until the first non-empty slot: an upper bound on how long the loop may
    /// sleep (it may wake early for a timer of a later revolution, which costs one empty pass).
    public func millisecondsUntilNext(maxMs: Int32) -> Int32 {
        if count == 0 { return maxMs }
        let limit = min(Int(maxMs), Self.slotCount)
        var d = 1
        while d <= limit {
            let s = Int((currentTick + UInt64(d)) & UInt64(Self.mask))
            let bits = occupied[s >> 6] >> UInt64(s & 63)   // slots s ..< end of this word
            if bits != 0 { return Int32(min(d + bits.trailingZeroBitCount, limit)) }
            d += 64 - (s & 63)
        }
        return Int32(limit)
    }

    /// Fires every timer whose deadline is at or before `now`.
    public func advance(to instant: Instant) {
        let now = instant.nanoseconds
        let target = now / Self.tickNanos
        if target <= currentTick { return }
        // After a long stall one revolution visits every slot; more would revisit them.
        let steps = min(target - currentTick, UInt64(Self.slotCount))
        let first = target - steps + 1
        currentTick = target
        if count == 0 { return }
        // A while loop, not `for tick in first...target`: iterating a ClosedRange allocated on
        // every call in debug builds, so the allocation tests counted one per elapsed tick and
        // failed on a busy machine, where more ticks pass between iterations.
        var tick = first
        while tick <= target {
            fireSlot(Int(tick & UInt64(Self.mask)), upTo: target)
            tick += 1
        }
    }

    private var due: [LoopTimer] = []

    private func fireSlot(_ s: Int, upTo tick: UInt64) {
        // Unlink first, fire after: an action may cancel or re-arm any timer, including
        // the ones still waiting in this slot.
        var node = heads[s]
        while let t = node {
            node = t.next
            if t.deadlineTick <= tick {
                unlink(t)
                t.firing = true
                due.append(t)
            } else if t.linkedTick <= tick {
                unlink(t)                    // re-armed later since it was linked here
                link(t, at: t.deadlineTick)
            }
        }
        for t in due where t.firing {
            t.firing = false
            t.action()
        }
        due.removeAll(keepingCapacity: true)
    }
}
