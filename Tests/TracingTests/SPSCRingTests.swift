import Glibc
import Reactor
import Synchronization
import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class SPSCRingTests: XCTestCase {
    struct Record: BitwiseCopyable, Equatable {
        var seq: Int
        var check: Int   // seq * 7 + 3: a torn or stale slot would not match
    }

    func testOrderAndWraparoundSingleThread() {
        let ring = SPSCRing<Record>(capacity: 5)
        XCTAssertEqual(ring.capacity, 8)
        var next = 0, expect = 0
        for _ in 0..<100 {
            for _ in 0..<5 { XCTAssertTrue(ring.produce(Record(seq: next, check: next * 7 + 3))); next += 1 }
            _ = ring.drain(max: 5) { p in
                XCTAssertEqual(p.pointee.seq, expect)
                expect += 1
            }
        }
        XCTAssertEqual(expect, 500)
        XCTAssertEqual(ring.droppedCount, 0)
    }

    func testFullRingDropsAndCountsExactly() {
        let ring = SPSCRing<Record>(capacity: 16)
        var accepted = 0
        for i in 0..<40 where ring.produce(Record(seq: i, check: i * 7 + 3)) { accepted += 1 }
        XCTAssertEqual(accepted, 16)
        XCTAssertEqual(ring.droppedCount, 24)
        var seen: [Int] = []
        _ = ring.drain { seen.append($0.pointee.seq) }
        XCTAssertEqual(seen, Array(0..<16), "the oldest records are kept, the newest dropped")
        XCTAssertTrue(ring.produce(Record(seq: 99, check: 99 * 7 + 3)), "space again after a drain")
    }

    /// A producer thread and a consumer thread: while the consumer keeps up nothing is lost or
    /// duplicated; every record arrives once, in order, intact. Also run under TSan by test.sh.
    func testConcurrentProducerAndConsumerLoseNothing() throws {
        let ring = SPSCRing<Record>(capacity: 1024)
        let total = 2_000_000
        let producerDone = Atomic<Bool>(false)
        let producer = try OSThread.spawn(name: "producer") {
            var i = 0
            while i < total {
                if ring.produce(Record(seq: i, check: i * 7 + 3)) { i += 1 } else { sched_yield() }
            }
            producerDone.store(true, ordering: .releasing)
        }
        var expect = 0
        var bad = 0
        while expect < total {
            let n = ring.drain { p in
                if p.pointee.seq != expect || p.pointee.check != expect * 7 + 3 { bad += 1 }
                expect += 1
            }
            if n == 0 { sched_yield() }
        }
        producer.join()
        XCTAssertTrue(producerDone.load(ordering: .acquiring))
        XCTAssertEqual(bad, 0)
        XCTAssertEqual(expect, total)
        XCTAssertEqual(ring.count, 0)
    }

    /// peek gives the oldest records in place, in two runs when they wrap; they stay until
    /// release, and a full ring stays full (drops) while peeked records are not released.
    func testPeekReadsInPlaceAcrossTheWrapUntilRelease() {
        let ring = SPSCRing<Record>(capacity: 8)
        for i in 0..<6 { XCTAssertTrue(ring.produce(Record(seq: i, check: i * 7 + 3))) }
        _ = ring.drain(max: 5) { _ in }                       // head at 5: the next 8 records wrap
        for i in 6..<13 { XCTAssertTrue(ring.produce(Record(seq: i, check: i * 7 + 3))) }
        XCTAssertFalse(ring.produce(Record(seq: 99, check: 0)), "full: 8 records waiting")
        let (a, b) = ring.peek(max: 6)
        XCTAssertEqual(a.map(\.seq), [5, 6, 7])                  // slots 5..7
        XCTAssertEqual(b.map(\.seq), [8, 9, 10])                 // slots 0..2
        XCTAssertEqual(ring.count, 8, "peek frees nothing")
        XCTAssertFalse(ring.produce(Record(seq: 99, check: 0)), "still full while peeked")
        ring.release(a.count + b.count)
        XCTAssertEqual(ring.count, 2)
        let (c, d) = ring.peek()
        XCTAssertEqual(c.map(\.seq) + d.map(\.seq), [11, 12])
        ring.release(2)
        XCTAssertEqual(ring.count, 0)
        XCTAssertTrue(ring.peek().0.isEmpty && ring.peek().1.isEmpty)
    }

    /// peek + release against a live producer thread: every record read in place once, in
    /// order, intact (a slot reused before its release would show a wrong seq or check).
    /// Also run under TSan by test.sh.
    func testConcurrentPeekAndReleaseLoseNothing() throws {
        let ring = SPSCRing<Record>(capacity: 256)
        let total = 1_000_000
        let producer = try OSThread.spawn(name: "producer") {
            var i = 0
            while i < total {
                if ring.produce(Record(seq: i, check: i * 7 + 3)) { i += 1 } else { sched_yield() }
            }
        }
        var expect = 0, bad = 0
        while expect < total {
            let (a, b) = ring.peek(max: 100)
            for run in [a, b] {
                for r in run {
                    if r.seq != expect || r.check != expect * 7 + 3 { bad += 1 }
                    expect += 1
                }
            }
            ring.release(a.count + b.count)
            if a.isEmpty { sched_yield() }
        }
        producer.join()
        XCTAssertEqual(bad, 0)
        XCTAssertEqual(expect, total)
        XCTAssertEqual(ring.count, 0)
    }

    /// With a slow consumer, drops are counted exactly: accepted + dropped = attempted.
    func testConcurrentDropAccountingIsExact() throws {
        let ring = SPSCRing<Record>(capacity: 64)
        let attempts = 200_000
        let accepted = Atomic<Int>(0)
        let producer = try OSThread.spawn(name: "producer") {
            for i in 0..<attempts where ring.produce(Record(seq: i, check: i * 7 + 3)) {
                accepted.add(1, ordering: .relaxed)
            }
        }
        var received = 0
        var last = -1
        var ordered = true
        var done = false
        while !done {
            let n = ring.drain(max: 8) { p in
                if p.pointee.seq <= last || p.pointee.check != p.pointee.seq * 7 + 3 { ordered = false }
                last = p.pointee.seq
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

extension SPSCRing {
    /// One record through the producer API the tracer uses: fill the reserved slot, publish it.
    fileprivate func produce(_ record: Element) -> Bool {
        guard let slot = reserve() else { return false }
        slot.pointee = record
        publish()
        return true
    }
}
