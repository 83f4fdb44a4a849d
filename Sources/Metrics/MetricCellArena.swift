import Synchronization

/// One metric cell: a 64-bit word with exactly one writer (the loop that owns it) and any
/// number of readers (scrapes). See `CounterHandle` for why relaxed loads and stores suffice.
public typealias MetricCell = Atomic<UInt64>

/// The cells of one event loop, carved from cache-line-aligned chunks. Every cell a loop
/// writes lives in that loop's chunks, so two loops never write to the same cache line (no
/// false sharing between loops). Cells are never freed before the registry itself: a handle is
/// a bare pointer into a chunk, so the increment path holds no reference count.
/// `@unchecked Sendable`: the chunk list is behind `chunks`' mutex; each cell handed out is
/// written by its loop only (see `CounterHandle`).
final class MetricCellArena: @unchecked Sendable {
    private struct Chunks {
        var all: [UnsafeMutableRawPointer] = []
        var next: UnsafeMutablePointer<MetricCell>?
        var left = 0
    }

    private static let chunkCells = 1024
    private static let lineBytes = 128   // two 64-byte lines: the adjacent-line prefetcher pairs them
    private let chunks = Mutex(Chunks())

    init() {}

    deinit {
        chunks.withLock { c in for p in c.all { p.deallocate() } }
    }

    /// `count` contiguous zeroed cells. Taken only when a new series is created, never on the
    /// increment path.
    func allocate(_ count: Int) -> UnsafeMutablePointer<MetricCell> {
        precondition(count > 0)
        return chunks.withLock { c in
            if c.left < count {
                let n = max(count, Self.chunkCells)
                let raw = UnsafeMutableRawPointer.allocate(
                    byteCount: n * MemoryLayout<MetricCell>.stride, alignment: Self.lineBytes)
                let cells = raw.bindMemory(to: MetricCell.self, capacity: n)
                for i in 0..<n { (cells + i).initialize(to: MetricCell(0)) }
                c.all.append(raw)
                c.next = cells
                c.left = n
            }
            let p = c.next!
            c.next = p + count
            c.left -= count
            return p
        }
    }
}
