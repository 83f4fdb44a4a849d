import Reactor
import Synchronization

/// A bounded single-producer single-consumer ring of encoded spans, in bytes: the producer is
/// one event loop, the consumer the exporter thread. A full ring refuses the entry (the caller
/// counts the drop); neither side ever waits for the other.
///
/// An entry is one protobuf length-delimited field (a one-byte tag that is never 0, a varint
/// length, the body): an OTLP `ScopeSpans.spans` field, ready to send. Entries lie end to end
/// and each is contiguous in memory: one that would cross the end of the storage starts again
/// at its beginning, and the producer writes a 0 where its tag would have been. So the
/// consumer finds every entry's end from the entry's own bytes, and copies a run of whole
/// entries with one `memcpy`. A span takes the few hundred bytes it encodes to, where a slot
/// of fixed-size records took 3.4 KB (Perf/RESULTS.md, "a ring of encoded spans").
///
/// Memory ordering: the producer writes an entry, then publishes it with a releasing store of
/// `published` (where the entries end and how many there are, in one word); the consumer's
/// acquiring load of it therefore sees the entry's bytes (and any skip marker before it). The
/// consumer reads the entries, then frees them with a releasing store of `head`; the
/// producer's acquiring load of `head` therefore never reuses bytes still being read. Each
/// index is written by one side only, so no read-modify-write is needed. Positions grow
/// without wrapping (Int is 64-bit) and are masked into the power-of-two capacity.
///
/// The count and the end are published together so that the consumer can take every waiting
/// entry without walking them: the walk read each entry's first bytes, written by the loop's
/// core a moment before, and that cache miss per span was most of the exporter's time
/// (`perf`, Perf/RESULTS.md, "issue 14: tracing's cost in one-second pairs").
///
/// `@unchecked Sendable`: shared between exactly two threads under the contract above; the
/// producer alone calls `reserve`/`publish` (and owns `tail`, `publishedCount`, `cachedHead`,
/// `reservedStart`, `reservedEnd`), the consumer alone calls `peek`/`release`/`drain`.
public final class SpanRing: @unchecked Sendable {
    /// Bytes.
    public let capacity: Int
    private let mask: Int
    let storage: ReservedPages<UInt8>
    private let bytes: UnsafeMutablePointer<UInt8>
    private let head = Atomic<Int>(0)       // where the oldest entry starts; consumer only
    private let released = Atomic<Int>(0)   // entries freed; consumer only
    /// The published end and entry count, packed (`Published`); producer only.
    private let published = Atomic<UInt64>(0)
    /// Where the producer last wrote a skip marker; producer only, stored before the entry
    /// after it is published.
    private let lastSkip = Atomic<Int>(-1)
    // Producer-private: where the next entry goes and how many were published; a cache of
    // `head` (most reserves then load no shared index); where the reserved room lies.
    private var tail = 0
    private var publishedCount = 0
    private var cachedHead = 0
    private var reservedStart = 0
    private var reservedEnd = 0
    private let dropped = Atomic<Int>(0)

    /// The end of the published entries and their count since the start, each modulo 2^32, in
    /// one word: the end in the low half, the count in the high. The consumer unpacks them
    /// against its own full `head` and `released`, which trail them by at most the capacity
    /// (at most 2^31 bytes) and the entries that fit in it (each is at least 2 bytes).
    enum Published {
        static let positionBits: UInt64 = 32
        static let positionMask: UInt64 = 1 << positionBits - 1
        static func pack(end: Int, count: Int) -> UInt64 {
            UInt64(truncatingIfNeeded: count) << positionBits | UInt64(truncatingIfNeeded: end) & positionMask
        }
        /// The full end, given a position `from` less than 2^32 before it.
        static func end(_ word: UInt64, from: Int) -> Int {
            from &+ Int((word &- UInt64(truncatingIfNeeded: from)) & positionMask)
        }
        /// The full count, given a count `from` less than 2^32 below it.
        static func count(_ word: UInt64, from: Int) -> Int {
            from &+ Int(((word >> positionBits) &- UInt64(truncatingIfNeeded: from)) & (1 << (64 - positionBits) - 1))
        }
    }

    /// `capacity` bytes, rounded up to a power of two (at least 4 KiB, at most 2 GiB, which
    /// `Published` relies on). An entry larger than the capacity is always refused.
    public init(capacity: Int) {
        precondition(capacity <= 1 << 31, "SpanRing: at most 2 GiB")
        var c = 4096
        while c < capacity { c <<= 1 }
        self.capacity = c
        mask = c - 1
        // Reserved pages: they cost memory only once the producer first reaches them.
        storage = ReservedPages(count: c)
        bytes = storage.base
    }

    /// Producer side: where to write the next entry, `n` contiguous bytes, or nil when there is
    /// no room (counted as dropped); call `publish()` once they are written (`publish(byteCount:)`
    /// when fewer were needed).
    @inline(__always)
    public func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8>? {
        let t = tail
        let room = capacity &- (t & mask)
        let start = room < n ? t &+ room : t     // past the end: start again at the beginning
        let end = start &+ n
        if end &- cachedHead > capacity {
            cachedHead = head.load(ordering: .acquiring)
            if end &- cachedHead > capacity {
                dropped.add(1, ordering: .relaxed)
                return nil
            }
        }
        // The skipped bytes are free (checked above); the marker tells the consumer to skip.
        if start != t {
            bytes[t & mask] = 0
            lastSkip.store(t, ordering: .relaxed)
        }
        reservedStart = start
        reservedEnd = end
        return bytes + (start & mask)
    }

    /// Producer side: makes the first `byteCount` bytes of the reserved room visible as the
    /// entry (a writer that reserved a bound on its size); the rest is free again.
    @inline(__always)
    public func publish(byteCount: Int) {
        precondition(byteCount > 0 && byteCount <= reservedEnd &- reservedStart, "SpanRing.publish: more than was reserved")
        reservedEnd = reservedStart &+ byteCount
        publish()
    }

    /// Producer side: makes the reserved entry visible to the consumer.
    @inline(__always)
    public func publish() {
        tail = reservedEnd
        publishedCount &+= 1
        published.store(Published.pack(end: tail, count: publishedCount), ordering: .releasing)
    }

    /// What `peek` found: up to two runs of whole entries, in order (the second when they
    /// continue at the storage's beginning), `count` entries in all, and the position to
    /// `release` them up to.
    public struct Entries {
        public let first: UnsafeRawBufferPointer
        public let second: UnsafeRawBufferPointer
        public let count: Int
        let end: Int
        public var byteCount: Int { first.count + second.count }
    }

    /// Consumer side: up to `max` of the oldest entries, read in place and not yet freed.
    /// Invariant: the producer never writes between `head` and the published end loaded here
    /// (it stops at `head + capacity`), so the runs stay valid and unchanged until `release`;
    /// the acquiring load of `published` makes their contents visible.
    public func peek(max: Int = .max) -> Entries {
        let h = head.load(ordering: .relaxed)          // only we write head
        let word = published.load(ordering: .acquiring)
        let t = Published.end(word, from: h)
        let r = released.load(ordering: .relaxed)      // only we write released
        let waiting = Published.count(word, from: r) &- r
        return waiting <= max ? all(from: h, to: t, count: waiting) : walk(from: h, to: t, max: max)
    }

    /// Every entry from `h` to `t`, without reading them. The entries cross the end of the
    /// storage at most once (they span at most `capacity` bytes), at the boundary `b` after
    /// `h`; any skip marker lies just before it, and `lastSkip` tells where: the producer
    /// cannot write another before the consumer frees the bytes before `b`.
    private func all(from h: Int, to t: Int, count: Int) -> Entries {
        let b = (h | mask) &+ 1
        guard t > b else {
            return Entries(first: UnsafeRawBufferPointer(start: bytes + (h & mask), count: t &- h),
                           second: UnsafeRawBufferPointer(start: bytes, count: 0), count: count, end: t)
        }
        let skip = lastSkip.load(ordering: .relaxed)
        let firstEnd = skip >= h && skip < b ? skip : b
        return Entries(first: UnsafeRawBufferPointer(start: bytes + (h & mask), count: firstEnd &- h),
                       second: UnsafeRawBufferPointer(start: bytes, count: t &- b), count: count, end: t)
    }

    /// `peek` by reading every entry's length, however many are taken (tests compare it with
    /// the path that reads none).
    func peekByWalking(max: Int = .max) -> Entries {
        let h = head.load(ordering: .relaxed)
        return walk(from: h, to: Published.end(published.load(ordering: .acquiring), from: h), max: max)
    }

    /// The first `max` entries from `h` (fewer than wait before `t`), found by reading each
    /// one's length.
    private func walk(from h: Int, to t: Int, max: Int) -> Entries {
        var p = h, n = 0
        var cut = -1, resume = -1   // where the first run ends, and the second begins
        while n < max && p < t {
            let off = p & mask
            if off == 0 && p != h && cut < 0 {         // the entries went on at the beginning
                cut = p
                resume = p
            }
            if bytes[off] == 0 {                       // skipped to the beginning
                cut = p
                p &+= capacity &- off
                resume = p
                continue
            }
            p &+= SpanRing.entrySize(UnsafeRawPointer(bytes + off))
            n &+= 1
        }
        precondition(p <= t, "SpanRing: an entry's length runs past the published bytes")
        let firstEnd = cut < 0 ? p : cut
        return Entries(first: UnsafeRawBufferPointer(start: bytes + (h & mask), count: firstEnd &- h),
                       second: UnsafeRawBufferPointer(start: bytes, count: cut < 0 ? 0 : p &- resume),
                       count: n, end: p)
    }

    /// The size of the entry at `p`: its tag, its length's varint, its body. The entry is
    /// contiguous, so its header lies within the storage. A span's length takes one or two
    /// bytes (it is under 16 KiB), read without a loop.
    @inline(__always)
    static func entrySize(_ p: UnsafeRawPointer) -> Int {
        let b1 = Int(p.load(fromByteOffset: 1, as: UInt8.self))
        if b1 < 0x80 { return 2 &+ b1 }
        let b2 = Int(p.load(fromByteOffset: 2, as: UInt8.self))
        if b2 < 0x80 { return 3 &+ (b1 & 0x7F | b2 << 7) }
        var length = b1 & 0x7F | (b2 & 0x7F) << 7, shift = 14, i = 3
        while true {
            let b = Int(p.load(fromByteOffset: i, as: UInt8.self))
            length |= (b & 0x7F) << shift
            i &+= 1
            if b < 0x80 { return i &+ length }
            shift &+= 7
        }
    }

    /// Consumer side: frees the entries `peek` returned in `e`, after reading them. The
    /// releasing store orders those reads before the producer may reuse the bytes.
    public func release(_ e: Entries) {
        guard e.count > 0 else { return }
        let h = head.load(ordering: .relaxed)
        precondition(e.end <= Published.end(published.load(ordering: .acquiring), from: h), "SpanRing.release: more than was published")
        released.store(released.load(ordering: .relaxed) &+ e.count, ordering: .relaxed)
        head.store(e.end, ordering: .releasing)
    }

    /// Consumer side: calls `body` on each of up to `max` oldest entries (the whole field,
    /// tag and length included), in order, then frees them. Returns how many.
    @discardableResult
    public func drain(max: Int = .max, _ body: (UnsafeRawBufferPointer) -> Void) -> Int {
        let e = peek(max: max)
        for run in [e.first, e.second] { SpanRing.forEachEntry(in: run, body) }
        release(e)
        return e.count
    }

    /// Each entry of a run of whole entries, in order.
    public static func forEachEntry(in run: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        guard let base = run.baseAddress else { return }
        var i = 0
        while i < run.count {
            let size = entrySize(base + i)
            precondition(size <= run.count &- i, "SpanRing: an entry runs past its run")
            body(UnsafeRawBufferPointer(start: base + i, count: size))
            i &+= size
        }
    }

    /// Entries waiting (approximate when read from a third thread).
    public var count: Int {
        let r = released.load(ordering: .acquiring)
        return Published.count(published.load(ordering: .acquiring), from: r) &- r
    }
    /// Bytes waiting, skipped ones included: what the high-water mark compares with `capacity`.
    public var usedBytes: Int {
        let h = head.load(ordering: .acquiring)
        return Published.end(published.load(ordering: .acquiring), from: h) &- h
    }

    /// Producer side: whether at least `n` bytes wait. Most calls answer from the producer's
    /// own copy of `head` (which only lags, so it only overstates what waits) without reading
    /// the consumer's cache line; only a yes is checked against the shared index.
    @inline(__always)
    public func producerSeesAtLeast(_ n: Int) -> Bool {
        guard tail &- cachedHead >= n else { return false }
        cachedHead = head.load(ordering: .acquiring)
        return tail &- cachedHead >= n
    }
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }
}
