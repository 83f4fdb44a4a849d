/// One series of a histogram merged over the loops at scrape time.
struct HistogramTotals {
    /// Per-bucket counts, not cumulative; the last is `+Inf`.
    var buckets: [UInt64]
    var sum: Double = 0
    /// The newest exemplar of each bucket over all loops.
    var exemplars: [MetricExemplar?]

    init(boundCount: Int) {
        buckets = Array(repeating: 0, count: boundCount + 1)
        exemplars = Array(repeating: nil, count: boundCount + 1)
    }

    /// `_count` is the sum of the buckets read, so it always equals the `+Inf` bucket even
    /// while observations land during the scrape.
    var count: UInt64 { buckets.reduce(0, &+) }

    /// Adds one loop's cells (layout in `HistogramFamily`).
    mutating func add(cells: UnsafeMutablePointer<MetricCell>) {
        let n = buckets.count
        for b in 0..<n { buckets[b] &+= cells[b].load(ordering: .relaxed) }
        sum += Double(bitPattern: cells[n].load(ordering: .relaxed))
        for b in 0..<n {
            guard let e = MetricExemplar.read(from: cells + n + 1 + b * MetricExemplar.words)
            else { continue }
            if let old = exemplars[b], old.unixNanos >= e.unixNanos { continue }
            exemplars[b] = e
        }
    }
}
