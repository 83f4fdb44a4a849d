/// A fixed-bucket histogram family whose series are sharded per event loop.
///
/// Cells of one series on one loop (`HistogramHandle` writes them, `HistogramTotals` reads):
/// `[0 ... b]` per-bucket counts, not cumulative (the last is `+Inf`), so an observation is one
/// store; `[b + 1]` the sum's bit pattern; then one exemplar slot of `MetricExemplar.words`
/// cells per bucket. `b` is the number of finite bounds.
/// `@unchecked Sendable`: immutable after init (`bounds` is filled there and only read after);
/// the series tables and arenas lock their own state.
public final class HistogramFamily: @unchecked Sendable {
    public let name: String
    public let help: String
    public let labelNames: [String]
    public let buckets: [Double]
    /// The `le` label of each bucket, `+Inf` last.
    let leValues: [String]
    private let bounds: UnsafeMutablePointer<Double>
    private let width: Int
    private let tables: [MetricSeriesTable]
    private let arenas: [MetricCellArena]

    init(name: String, help: String, labelNames: [String], buckets: [Double],
         arenas: [MetricCellArena])
    {
        let finite = buckets.filter { $0 != .infinity }
        precondition(!finite.isEmpty && finite.allSatisfy(\.isFinite),
                     "\(name): buckets must be finite numbers")
        precondition(zip(finite, finite.dropFirst()).allSatisfy { $0 < $1 },
                     "\(name): buckets must increase strictly")
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = finite
        leValues = finite.map(ExpositionWriter.formatNumber) + ["+Inf"]
        bounds = .allocate(capacity: finite.count)
        bounds.initialize(from: finite, count: finite.count)
        width = finite.count + 2 + (finite.count + 1) * MetricExemplar.words
        self.arenas = arenas
        tables = arenas.map { _ in MetricSeriesTable() }
    }

    deinit { bounds.deallocate() }

    /// The handle of `labelValues` on `loop`. Call it on that loop's thread or before the loops
    /// run; the first call for a label set takes a short lock, later ones find the same cells.
    public func handle(loop: Int, _ labelValues: [String]) -> HistogramHandle {
        precondition(arenas.indices.contains(loop), "\(name): no loop \(loop)")
        precondition(labelValues.count == labelNames.count,
                     "\(name): \(labelNames.count) label values expected")
        let cells = tables[loop].cells(for: labelValues, width: width, arena: arenas[loop])
        return HistogramHandle(cells: cells, bounds: bounds, boundCount: buckets.count)
    }

    /// Every label set seen on any loop, merged over the loops, sorted by label values.
    func collect() -> [(labelValues: [String], totals: HistogramTotals)] {
        var merged: [[String]: HistogramTotals] = [:]
        for table in tables {
            for s in table.snapshot() {
                merged[s.labelValues, default: HistogramTotals(boundCount: buckets.count)]
                    .add(cells: s.cells)
            }
        }
        return merged.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            .map { (labelValues: $0.key, totals: $0.value) }
    }
}
