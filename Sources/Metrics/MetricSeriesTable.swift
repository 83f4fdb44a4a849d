import Synchronization

/// One label set's cells on one loop. `@unchecked Sendable`: `cells` points into an arena that
/// outlives the table, and only that loop writes them.
struct MetricSeries: @unchecked Sendable {
    let labelValues: [String]
    let cells: UnsafeMutablePointer<MetricCell>
}

/// The series of one family on one loop. The lock is taken only when a handle is resolved
/// (start-up, or the first time a loop meets a new label set) and when a scrape lists the
/// series; increments go straight to the cells and never touch it.
/// `@unchecked Sendable`: all its state is behind `state`'s mutex.
final class MetricSeriesTable: @unchecked Sendable {
    private struct State {
        var index: [[String]: Int] = [:]
        var series: [MetricSeries] = []
    }

    private let state = Mutex(State())

    init() {}

    /// The cells of `labelValues`, created (`width` zeroed cells from `arena`) on first use.
    func cells(for labelValues: [String], width: Int, arena: MetricCellArena)
        -> UnsafeMutablePointer<MetricCell>
    {
        state.withLock { s in
            if let i = s.index[labelValues] { return s.series[i].cells }
            let cells = arena.allocate(width)
            s.index[labelValues] = s.series.count
            s.series.append(MetricSeries(labelValues: labelValues, cells: cells))
            return cells
        }
    }

    /// The series existing now. The cells stay valid and keep changing after the lock is left.
    func snapshot() -> [MetricSeries] {
        state.withLock { $0.series }
    }
}
