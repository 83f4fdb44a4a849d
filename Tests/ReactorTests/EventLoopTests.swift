import ChainTestSupport
import Glibc
import Synchronization
import XCTest
@testable import Reactor

final class EventLoopTests: XCTestCase {
    func testExecuteFromOtherThreadsRunsEveryTaskOnTheLoop() throws {
        let group = LoopGroup(count: 1)
        let loop = group.loops[0]
        let count = Atomic<Int>(0)
        let wrongThread = Atomic<Int>(0)
        try group.start { _ in }
        let threads = try (0..<4).map { _ in
            try OSThread.spawn(name: "producer") {
                for _ in 0..<1000 {
                    nonisolated(unsafe) let l = loop
                    loop.execute {
                        if !l.inLoopThread { wrongThread.add(1, ordering: .relaxed) }
                        count.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        threads.forEach { $0.join() }
        eventually(timeout: .seconds(5)) { count.load(ordering: .relaxed) == 4000 }
        XCTAssertEqual(count.load(ordering: .relaxed), 4000)
        XCTAssertEqual(wrongThread.load(ordering: .relaxed), 0)
        nonisolated(unsafe) let l = loop
        loop.execute { l.stop() }
        XCTAssertTrue(group.wait(until: Instant.now() + .nanoseconds(2_000_000_000)))
    }

    /// The loop computes its epoll_wait timeout from the wheel: a real wait, on the real clock.
    func testScheduledTimerWakesTheLoop() throws {
        let group = LoopGroup(count: 1)
        let fired = Atomic<UInt64>(0)
        let started = monotonicNanos()
        try group.start { loop in
            loop.schedule(after: .nanoseconds(30_000_000)) {
                fired.store(monotonicNanos(), ordering: .relaxed)
                loop.stop()
            }
        }
        XCTAssertTrue(group.wait(until: Instant.now() + .nanoseconds(3_000_000_000)))
        let elapsed = fired.load(ordering: .relaxed) - started
        XCTAssertGreaterThanOrEqual(elapsed, 29_000_000)
    }

    /// Timers run on the loop's clock, which need not be the real one: a test moves it by hand.
    func testTimersFollowTheLoopsClock() throws {
        let clock = ManualClock()
        let group = LoopGroup(count: 1, clock: clock.loopClock)
        let loop = group.loops[0]
        let fired = Atomic<Int>(0)
        try group.start { loop in
            loop.schedule(after: .milliseconds(30)) { fired.add(1, ordering: .relaxed) }
        }
        defer {
            nonisolated(unsafe) let l = loop
            loop.execute { l.stop() }
            XCTAssertTrue(group.wait(until: Instant.now() + .seconds(2)))
        }
        clock.advance(by: .milliseconds(29), on: [loop])
        XCTAssertEqual(fired.load(ordering: .relaxed), 0)
        XCTAssertEqual(loop.sync { loop.now }, clock.now, "one clock read per iteration, from the loop's clock")
        clock.advance(by: .milliseconds(1), on: [loop])
        XCTAssertEqual(fired.load(ordering: .relaxed), 1)
    }

    /// The busy time of an iteration is measured on the loop's clock from the wake-up to the
    /// end of the iteration: a task that takes 7 ms (here, moves the clock by 7 ms) shows as an
    /// iteration of 7 ms, and an iteration that did nothing shows as zero.
    func testIterationBusyTimeIsReported() throws {
        final class Clock: Sendable { let nanos = Atomic<UInt64>(1_000_000_000) }
        let time = Clock()
        let group = LoopGroup(count: 1, clock: LoopClock { Instant(nanoseconds: time.nanos.load(ordering: .acquiring)) })
        let loop = group.loops[0]
        final class Busy: @unchecked Sendable { var seen: [TimeAmount] = [] }   // loop thread only
        let busy = Busy()
        loop.onIterationEnded = { busy.seen.append($0) }
        try group.start { _ in }
        nonisolated(unsafe) let l = loop
        loop.execute { time.nanos.add(7_000_000, ordering: .releasing) }
        _ = loop.sync {}   // the iteration that ran the task has ended (and was reported)
        let seen = loop.sync { busy.seen } ?? []
        loop.execute { l.stop() }
        XCTAssertTrue(group.wait(until: Instant.now() + .seconds(2)))
        XCTAssertTrue(seen.contains(.milliseconds(7)), "\(seen)")
        XCTAssertEqual(seen.filter { $0 != .zero }.count, 1, "\(seen)")
    }

    func testPipeReadinessIsDispatched() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        final class Reader: IOHandler {
            let fd: Int32
            let loop: EventLoop
            var got = [UInt8]()
            init(fd: Int32, loop: EventLoop) { self.fd = fd; self.loop = loop }
            func ioReady(_ events: IOEvents) {
                var b = [UInt8](repeating: 0, count: 64)
                let n = read(fd, &b, 64)
                if n > 0 { got += b[0..<n] }
                if got.count >= 5 { loop.stop() }
            }
        }
        let group = LoopGroup(count: 1)
        nonisolated(unsafe) var reader: Reader?
        let readFD = fds[0]
        try group.start { loop in
            reader = Reader(fd: readFD, loop: loop)
            loop.register(readFD, reader!, interest: .read)
        }
        XCTAssertEqual(write(fds[1], "hello", 5), 5)   // before or after the loop registered: either way it is told
        XCTAssertTrue(group.wait(until: Instant.now() + .nanoseconds(3_000_000_000)))
        XCTAssertEqual(String(decoding: reader!.got, as: UTF8.self), "hello")
        close(fds[0]); close(fds[1])
    }
}
