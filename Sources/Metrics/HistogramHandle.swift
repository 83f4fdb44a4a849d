import Reactor
import Synchronization

/// One loop's histogram for one label set; used only on that loop's thread. The single-writer
/// argument of `CounterHandle` applies to every cell; see `MetricExemplar` for the exemplars.
/// `@unchecked Sendable` (raw pointers) under that rule: send it to its loop, write it only there.
public struct HistogramHandle: @unchecked Sendable {
    @usableFromInline let cells: UnsafeMutablePointer<MetricCell>
    @usableFromInline let bounds: UnsafePointer<Double>
    @usableFromInline let boundCount: Int

    init(cells: UnsafeMutablePointer<MetricCell>, bounds: UnsafeMutablePointer<Double>,
         boundCount: Int)
    {
        self.cells = cells
        self.bounds = UnsafePointer(bounds)
        self.boundCount = boundCount
    }

    /// Counts `seconds` in the first bucket whose bound is at least `seconds` (`le` is
    /// inclusive). With a (non-zero) `traceID` it also becomes that bucket's exemplar, stamped
    /// `unixNanos` or, when that is 0, the current wall-clock time.
    @inlinable
    public func observe(_ seconds: Double, traceID: (UInt64, UInt64)? = nil, unixNanos: UInt64 = 0) {
        if seconds.isNaN { return }          // one NaN would poison `_sum` for good
        let v = seconds < 0 ? 0 : seconds    // a wall-clock step can yield a negative duration
        var b = 0
        while b < boundCount, v > bounds[b] { b += 1 }
        let bucket = cells + b
        bucket.pointee.store(bucket.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        let sum = cells + boundCount + 1
        let total = Double(bitPattern: sum.pointee.load(ordering: .relaxed)) + v
        sum.pointee.store(total.bitPattern, ordering: .relaxed)
        if let t = traceID, t.0 | t.1 != 0 {
            recordExemplar(bucket: b, traceID: t, value: v, unixNanos: unixNanos)
        }
    }

    @usableFromInline
    func recordExemplar(bucket: Int, traceID: (UInt64, UInt64), value: Double, unixNanos: UInt64) {
        let slot = cells + boundCount + 2 + bucket * MetricExemplar.words
        let stamp = unixNanos != 0 ? unixNanos : wallNanos()
        MetricExemplar(traceHi: traceID.0, traceLo: traceID.1, value: value, unixNanos: stamp)
            .write(to: slot)
    }

    /// This loop's count alone (tests, debugging).
    public var count: UInt64 {
        (0...boundCount).reduce(0) { $0 &+ cells[$1].load(ordering: .relaxed) }
    }
}
