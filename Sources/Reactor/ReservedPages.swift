import Glibc

/// Room for `count` values of a trivial type, reserved as anonymous memory straight from the
/// kernel: the pages read as zero and cost no resident memory until first written, so a table
/// or ring sized for the worst case costs only what is used (`RssAnon` in /proc/PID/status).
/// A `malloc` of the same size followed by initialization touches every page up front.
///
/// Invariant: `base` points to `count` values, zero-filled by `mmap`, bound to `T` and
/// unmapped exactly once, by `deinit`. `T` is `BitwiseCopyable`, so those zero bytes need no
/// initializer and leaving the memory holds no references; whether all-zero bytes are a
/// meaningful `T` is the user's to decide (the span ring and the open-span table write a slot
/// before they read it).
public final class ReservedPages<T: BitwiseCopyable> {
    public let base: UnsafeMutablePointer<T>
    public let count: Int
    private let byteCount: Int

    public init(count: Int) {
        precondition(count > 0 && MemoryLayout<T>.alignment <= Int(getpagesize()))
        self.count = count
        byteCount = count * MemoryLayout<T>.stride
        // MAP_NORESERVE: no swap is set aside for pages that may never be touched.
        let p = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else {
            fatalError("ReservedPages: mmap of \(byteCount) bytes failed (errno \(errno))")
        }
        base = p.bindMemory(to: T.self, capacity: count)
    }

    deinit { munmap(UnsafeMutableRawPointer(base), byteCount) }

    /// Bytes of the reservation that are resident now (whole pages, from `mincore`): what it
    /// really costs, for tests and measurements.
    public var residentBytes: Int {
        let page = Int(getpagesize())
        let pages = (byteCount + page - 1) / page
        var vec = [UInt8](repeating: 0, count: pages)
        guard mincore(UnsafeMutableRawPointer(base), byteCount, &vec) == 0 else { return -1 }
        return vec.reduce(0) { $0 + Int($1 & 1) } * page
    }
}
