import Reactor

/// The bookkeeping of a tracer's open spans: per slot, its generation and whether its span
/// records; and the slots free again. Record slots are `0..<recordCapacity`; context-only slots
/// (a full record table: see `Tracer`) come after them, up to `overflowCapacity` more.
///
/// Reserved pages behind raw pointers: a slot's state costs memory once first used, and taking
/// or freeing a slot is a few loads and stores. Swift arrays cost a uniqueness check and a
/// bounds check at every change (callgrind: about 100 instructions a span).
///
/// Invariant: `used` slots have been handed out, and `used <= recordCapacity +
/// overflowCapacity`, the storage's length; each free stack holds distinct slots below `used`,
/// of its own kind, at most its kind's capacity. So every index below stays in bounds.
final class SpanSlots {
    struct Slot: BitwiseCopyable {
        var generation: UInt32
        var recording: Bool
    }

    let recordCapacity: Int
    let overflowCapacity: Int
    private let states: ReservedPages<Slot>
    private let freeRecords: ReservedPages<Int32>
    private let freeOverflow: ReservedPages<Int32>
    private var freeRecordCount = 0
    private var freeOverflowCount = 0
    /// Slots handed out at least once: a slot never used is the next one from here.
    private(set) var used = 0

    init(recordCapacity: Int, overflowCapacity: Int) {
        precondition(recordCapacity > 0 && overflowCapacity >= 0)
        self.recordCapacity = recordCapacity
        self.overflowCapacity = overflowCapacity
        states = ReservedPages(count: recordCapacity + overflowCapacity)
        freeRecords = ReservedPages(count: recordCapacity)
        freeOverflow = ReservedPages(count: max(1, overflowCapacity))
    }

    /// The state of `slot`, one handed out (below `used`).
    @inline(__always)
    func state(_ slot: Int) -> UnsafeMutablePointer<Slot> { states.base + slot }

    /// Whether `slot` is one handed out, so `state(slot)` may be read.
    @inline(__always)
    func isValid(_ slot: Int32) -> Bool { slot >= 0 && Int(slot) < used }

    /// A record slot: the last one freed, else one never used; nil when every one is open.
    @inline(__always)
    func takeRecordSlot() -> Int32? {
        if freeRecordCount > 0 {
            freeRecordCount &-= 1
            return freeRecords.base[freeRecordCount]
        }
        guard used < recordCapacity else { return nil }
        return takeNew()
    }

    /// A context-only slot, when no record slot is free (so every record slot has been handed
    /// out, and a new slot is numbered past them); nil when every one is open.
    func takeOverflowSlot() -> Int32? {
        if freeOverflowCount > 0 {
            freeOverflowCount &-= 1
            return freeOverflow.base[freeOverflowCount]
        }
        guard used >= recordCapacity, used < recordCapacity + overflowCapacity else { return nil }
        return takeNew()
    }

    @inline(__always)
    private func takeNew() -> Int32 {
        let s = used
        used &+= 1
        states.base[s] = Slot(generation: 0, recording: false)
        return Int32(s)
    }

    /// Makes `slot` (an open one) free again.
    @inline(__always)
    func free(_ slot: Int32) {
        if Int(slot) < recordCapacity {
            freeRecords.base[freeRecordCount] = slot
            freeRecordCount &+= 1
        } else {
            freeOverflow.base[freeOverflowCount] = slot
            freeOverflowCount &+= 1
        }
    }
}
