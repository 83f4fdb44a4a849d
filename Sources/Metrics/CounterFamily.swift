import Synchronization

/// A counter family whose series are sharded per event loop. Declare it once at start-up;
/// resolve a handle per (loop, label set) and keep it.
/// `@unchecked Sendable`: immutable after init; the series tables and arenas it holds lock
/// their own state.
public final class CounterFamily: @unchecked Sendable {
    public let name: String
    public let help: String
    public let labelNames: [String]
    private let tables: [MetricSeriesTable]
    private let arenas: [MetricCellArena]

    init(name: String, help: String, labelNames: [String], arenas: [MetricCellArena]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.arenas = arenas
        tables = arenas.map { _ in MetricSeriesTable() }
    }

    /// The handle of `labelValues` on `loop`. Call it on that loop's thread or before the loops
    /// run; the first call for a label set takes a short lock, later ones find the same cell.
    public func handle(loop: Int, _ labelValues: [String]) -> CounterHandle {
        precondition(arenas.indices.contains(loop), "\(name): no loop \(loop)")
        precondition(labelValues.count == labelNames.count,
                     "\(name): \(labelNames.count) label values expected")
        return CounterHandle(cell: tables[loop].cells(for: labelValues, width: 1, arena: arenas[loop]))
    }

    /// Every label set seen on any loop, summed over the loops, sorted by label values.
    func collect() -> [(labelValues: [String], value: UInt64)] {
        var totals: [[String]: UInt64] = [:]
        for table in tables {
            for s in table.snapshot() {
                totals[s.labelValues, default: 0] &+= s.cells.pointee.load(ordering: .relaxed)
            }
        }
        return totals.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            .map { (labelValues: $0.key, value: $0.value) }
    }
}

/// One loop's counter for one label set.
///
/// Why relaxed loads and stores are enough: the cell has one writer, its loop's thread, so
/// `load + store` never loses an update the way it would with two writers, and no
/// read-modify-write (a locked instruction) is needed. A scrape on another thread reads the cell
/// with a relaxed atomic load: a 64-bit atomic is never torn, and read-read coherence means one
/// cell read twice never goes backwards, so a scrape may see a value a few increments old but
/// never a wrong or decreasing one. Nothing else is published through the cell, so no
/// acquire/release ordering is needed.
/// `@unchecked Sendable` (it holds a raw pointer) under that rule: send it to its loop, write
/// it only there.
public struct CounterHandle: @unchecked Sendable {
    @usableFromInline let cell: UnsafeMutablePointer<MetricCell>

    init(cell: UnsafeMutablePointer<MetricCell>) { self.cell = cell }

    /// Only on the thread of the loop the handle was resolved for.
    @inlinable @inline(__always)
    public func inc(_ by: UInt64 = 1) {
        cell.pointee.store(cell.pointee.load(ordering: .relaxed) &+ by, ordering: .relaxed)
    }

    /// This loop's share alone (tests, debugging).
    public var value: UInt64 { cell.pointee.load(ordering: .relaxed) }
}
