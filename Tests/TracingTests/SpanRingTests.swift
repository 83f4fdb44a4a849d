import Glibc
import Reactor
import Synchronization
import XCTest
@testable import Tracing

/// The span ring's entries are protobuf fields of varied size; here each carries a sequence
/// number, a check value derived from it (a torn or stale entry would not match) and
/// `seq % 41` bytes of padding, so entries wrap at every offset.
final class SpanRingTests: XCTestCase {
    static func size(_ seq: Int) -> Int { 2 + 16 + seq % 41 }   // tag, one-byte length, body

    /// Writes entry `seq` through the producer API the tracer uses: reserve, fill, publish.
    static func produce(_ ring: SpanRing, _ seq: Int, size: Int? = nil) -> Bool {
        let n = size ?? Self.size(seq)
        guard let p = ring.reserve(n) else { return false }
        p[0] = 2 << 3 | 2
        p[1] = UInt8(n - 2)
        UnsafeMutableRawPointer(p + 2).storeBytes(of: seq, as: Int.self)
        UnsafeMutableRawPointer(p + 10).storeBytes(of: seq &* 7 &+ 3, as: Int.self)
        for i in 18..<n { p[i] = UInt8(truncatingIfNeeded: seq &+ i) }
        ring.publish()
        return true
    }

    /// A thread producing entries 0..<total in order, yielding while the ring is full.
    static func producer(_ ring: SpanRing, _ total: Int) throws -> OSThread {
        try OSThread.spawn(name: "producer") {
            var i = 0
            while i < total {
                if produce(ring, i) { i += 1 } else { sched_yield() }
            }
        }
    }

    /// The sequence number of an entry, or -1 when any of its bytes is not what `produce` wrote.
    static func check(_ e: UnsafeRawBufferPointer) -> Int {
        let seq = e.loadUnaligned(fromByteOffset: 2, as: Int.self)
        guard e.count == size(seq), e[0] == 2 << 3 | 2, Int(e[1]) == e.count - 2,
              e.loadUnaligned(fromByteOffset: 10, as: Int.self) == seq &* 7 &+ 3,
              (18..<e.count).allSatisfy({ e[$0] == UInt8(truncatingIfNeeded: seq &+ $0) }) else { return -1 }
        return seq
    }

    func testOrderAndWraparoundSingleThread() {
        let ring = SpanRing(capacity: 3000)
        XCTAssertEqual(ring.capacity, 4096)
        var next = 0, expect = 0
        for _ in 0..<400 {
            for _ in 0..<50 { XCTAssertTrue(Self.produce(ring, next)); next += 1 }
            ring.drain(max: 50) { e in
                XCTAssertEqual(Self.check(e), expect)
                expect += 1
            }
        }
        XCTAssertEqual(expect, 20_000, "about 180 times around the ring")
        XCTAssertEqual(ring.droppedCount, 0)
        XCTAssertEqual(ring.usedBytes, 0)
    }

    /// 100-byte entries: forty fit in 4 KiB, the forty-first would need the 96 bytes left at the
    /// end and then 100 at the beginning, which is not free.
    func testFullRingDropsAndCountsExactly() {
        let ring = SpanRing(capacity: 4096)
        var accepted = 0
        for i in 0..<60 where Self.produce(ring, i, size: 100) { accepted += 1 }
        XCTAssertEqual(accepted, 40)
        XCTAssertEqual(ring.droppedCount, 20)
        XCTAssertEqual(ring.count, 40)
        var seen: [Int] = []
        ring.drain { seen.append($0.loadUnaligned(fromByteOffset: 2, as: Int.self)) }
        XCTAssertEqual(seen, Array(0..<40), "the oldest entries are kept, the newest dropped")
        XCTAssertTrue(Self.produce(ring, 99, size: 100), "room again after a drain")
        XCTAssertFalse(Self.produce(ring, 100, size: 4097), "an entry larger than the ring never fits")
        XCTAssertEqual(ring.droppedCount, 21)
    }

    /// peek gives the oldest entries in place, in two runs when they go on at the beginning;
    /// they stay until release, and the ring stays full while peeked entries are not released.
    func testPeekReadsInPlaceAcrossTheWrapUntilRelease() {
        let ring = SpanRing(capacity: 4096)
        for i in 0..<38 { XCTAssertTrue(Self.produce(ring, i, size: 100)) }
        XCTAssertEqual(ring.drain(max: 30) { _ in }, 30)            // 3000 bytes free at the start
        for i in 38..<60 { XCTAssertTrue(Self.produce(ring, i, size: 100)) }   // two more at the end, 20 wrap
        XCTAssertFalse(Self.produce(ring, 99, size: 1001), "1000 bytes free: 4096 less 22 entries and the 96 skipped")
        let e = ring.peek(max: 15)
        XCTAssertEqual(e.count, 15)
        var seqs: [Int] = []
        for run in [e.first, e.second] { SpanRing.forEachEntry(in: run) { seqs.append($0.loadUnaligned(fromByteOffset: 2, as: Int.self)) } }
        XCTAssertEqual(seqs, Array(30..<45))
        XCTAssertEqual(e.first.count, 1000, "entries 30-39 at the end of the storage")
        XCTAssertEqual(e.second.count, 500, "entries 40-44 at its beginning")
        XCTAssertEqual(ring.count, 30, "peek frees nothing")
        XCTAssertFalse(Self.produce(ring, 99, size: 1001), "still full while peeked")
        ring.release(e)
        XCTAssertEqual(ring.count, 15)
        var rest: [Int] = []
        ring.drain { rest.append($0.loadUnaligned(fromByteOffset: 2, as: Int.self)) }
        XCTAssertEqual(rest, Array(45..<60))
        XCTAssertEqual(ring.count, 0)
        XCTAssertEqual(ring.peek().count, 0)
        XCTAssertTrue(ring.peek().first.isEmpty && ring.peek().second.isEmpty)
    }

    /// Lengths of one, two and three varint bytes (a span is under 16 KiB, but the ring reads
    /// any length), across the wrap; and the producer's own view of what waits.
    func testLongEntriesAndTheProducersView() {
        let ring = SpanRing(capacity: 65536)
        XCTAssertFalse(ring.producerSeesAtLeast(1))
        var sizes: [Int] = []
        for (i, body) in [5, 200, 20_000, 127, 128, 16_383, 16_384, 13_000, 9].enumerated() {
            let header = 1 + (body < 128 ? 1 : body < 16_384 ? 2 : 3)
            guard let p = ring.reserve(header + body) else { return XCTFail("entry \(i) did not fit") }
            p[0] = 0x12
            var v = body, j = 1
            while v >= 0x80 { p[j] = UInt8(v & 0x7F) | 0x80; v >>= 7; j += 1 }
            p[j] = UInt8(v)
            for k in 0..<body { p[header + k] = UInt8(truncatingIfNeeded: i &+ k) }
            ring.publish()
            sizes.append(header + body)
            if i == 3 {   // make room: the rest wraps
                XCTAssertTrue(ring.producerSeesAtLeast(20_000))
                XCTAssertEqual(ring.drain { XCTAssertEqual($0.count, sizes.removeFirst()) }, 4)
                XCTAssertFalse(ring.producerSeesAtLeast(1), "the producer sees the consumer's progress")
            }
        }
        XCTAssertFalse(ring.peek().second.isEmpty, "the last two went on at the beginning")
        var seen: [Int] = []
        ring.drain { seen.append($0.count) }
        XCTAssertEqual(seen, sizes)
        XCTAssertEqual(ring.usedBytes, 0)
    }

    /// A producer thread and a consumer thread: while the consumer keeps up nothing is lost or
    /// duplicated; every entry arrives once, in order, intact. Also run under TSan by test.sh.
    func testConcurrentProducerAndConsumerLoseNothing() throws {
        try assertNothingLost(capacity: 16384, total: 1_000_000) { ring, body in ring.drain(body) }
    }

    /// peek + release against a live producer thread: every entry read in place once, in
    /// order, intact (bytes reused before their release would fail the check). Also run under
    /// TSan by test.sh.
    func testConcurrentPeekAndReleaseLoseNothing() throws {
        try assertNothingLost(capacity: 4096, total: 500_000) { ring, body in
            let e = ring.peek(max: 100)
            for run in [e.first, e.second] { SpanRing.forEachEntry(in: run, body) }
            ring.release(e)
            return e.count
        }
    }

    /// `peek()` with room for everything waiting takes it without reading the entries (from
    /// the published end and count, and where the producer last skipped): across every offset
    /// of the wrap, with and without a skip marker, it must find what a walk finds.
    func testPeekOfEverythingMatchesTheWalkAcrossTheWrap() {
        let ring = SpanRing(capacity: 4096)
        var next = 0, expect = 0, skipsSeen = 0
        var rng = SystemRandomNumberGenerator()
        for round in 0..<3000 {
            let burst = Int.random(in: 1...90, using: &rng)
            for _ in 0..<burst where Self.produce(ring, next) { next += 1 }
            let waiting = ring.count
            let walked = ring.peekByWalking()
            let whole = ring.peek()
            XCTAssertEqual(whole.count, waiting)
            XCTAssertEqual(walked.count, waiting)
            XCTAssertEqual(walked.first.baseAddress, whole.first.baseAddress)
            XCTAssertEqual(walked.first.count, whole.first.count)
            XCTAssertEqual(walked.second.count, whole.second.count)
            XCTAssertEqual(ring.peek(max: waiting - 1).count, waiting - 1, "fewer than wait: walked")
            // Between the first run's end and the storage's end: the bytes a skip marker skipped.
            let storageEnd = UnsafeRawPointer(ring.storage.base + ring.capacity)
            let skipped = whole.second.isEmpty ? 0 : storageEnd - (whole.first.baseAddress! + whole.first.count)
            XCTAssertEqual(whole.byteCount + skipped, ring.usedBytes, "the runs and the skipped bytes are all that waits")
            if skipped > 0 { skipsSeen += 1 }
            var n = 0
            for run in [whole.first, whole.second] {
                SpanRing.forEachEntry(in: run) { e in
                    XCTAssertEqual(Self.check(e), expect)
                    expect += 1
                    n += 1
                }
            }
            XCTAssertEqual(n, waiting)
            ring.release(whole)
            XCTAssertEqual(ring.count, 0)
        }
        XCTAssertEqual(expect, next)
        XCTAssertGreaterThan(skipsSeen, 100, "runs that end at a skip marker, not at the storage's end")
    }

    /// The published end and count are kept modulo 2^32 and unpacked against the consumer's
    /// full positions: exact across the 2^32 boundary and far past it.
    func testPublishedEndAndCountUnpackAcrossTheirModulus() {
        for base in [0, (1 << 32) - 10, 7 << 32 | 12345, Int.max >> 1] {
            for (ahead, more) in [(0, 0), (9, 3), (20, 1 << 20), ((1 << 31), (1 << 30))] {
                let word = SpanRing.Published.pack(end: base + ahead, count: base + more)
                XCTAssertEqual(SpanRing.Published.end(word, from: base), base + ahead)
                XCTAssertEqual(SpanRing.Published.count(word, from: base), base + more)
            }
        }
    }

    /// `peek()` (everything, the path that reads no entry) against a live producer thread:
    /// every entry once, in order, intact. Also run under TSan by test.sh.
    func testConcurrentPeekOfEverythingLosesNothing() throws {
        try assertNothingLost(capacity: 4096, total: 500_000) { ring, body in
            let e = ring.peek()
            for run in [e.first, e.second] { SpanRing.forEachEntry(in: run, body) }
            ring.release(e)
            return e.count
        }
    }

    /// A producer thread writes `total` entries while this thread reads them with `take` (which
    /// calls its closure on each entry it takes and returns how many): each must arrive once,
    /// in order, intact.
    private func assertNothingLost(capacity: Int, total: Int,
                                   take: (SpanRing, (UnsafeRawBufferPointer) -> Void) -> Int) throws {
        let ring = SpanRing(capacity: capacity)
        let producer = try Self.producer(ring, total)
        var expect = 0, bad = 0
        while expect < total {
            let n = take(ring) { entry in
                if Self.check(entry) != expect { bad += 1 }
                expect += 1
            }
            if n == 0 { sched_yield() }
        }
        producer.join()
        XCTAssertEqual(bad, 0)
        XCTAssertEqual(expect, total)
        XCTAssertEqual(ring.count, 0)
    }

    /// With a slow consumer, drops are counted exactly: accepted + dropped = attempted.
    func testConcurrentDropAccountingIsExact() throws {
        let ring = SpanRing(capacity: 4096)
        let attempts = 200_000
        let accepted = Atomic<Int>(0)
        let producer = try OSThread.spawn(name: "producer") {
            for i in 0..<attempts where Self.produce(ring, i) {
                accepted.add(1, ordering: .relaxed)
            }
        }
        var received = 0, last = -1, ordered = true, done = false
        while !done {
            let n = ring.drain(max: 8) { e in
                let seq = Self.check(e)
                if seq <= last { ordered = false }
                last = seq
                received += 1
            }
            if n == 0 {
                if accepted.load(ordering: .relaxed) + ring.droppedCount == attempts && ring.count == 0 { done = true }
                usleep(10)   // an empty ring: let the producer run (a consumer's backoff, not a wait for time)
            }
        }
        producer.join()
        XCTAssertTrue(ordered)
        XCTAssertEqual(received, accepted.load(ordering: .relaxed))
        XCTAssertEqual(received + ring.droppedCount, attempts)
        XCTAssertGreaterThan(ring.droppedCount, 0, "a slow consumer must cause drops here")
    }
}
