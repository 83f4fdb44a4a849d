import ChainTestSupport
import Glibc
import Synchronization
import XCTest
@testable import Reactor

/// epoll_ctl failures are recovered or reported, never dropped; thread starts may fail.
final class PollerRecoveryTests: XCTestCase {
    final class Recorder: IOHandler {
        let events = Mutex<[IOEvents]>([])
        func ioReady(_ e: IOEvents) { events.withLock { $0.append(e) } }
        var seen: [IOEvents] { events.withLock { $0 } }
    }

    /// Runs `body` on a fresh loop's thread, then lets the loop turn a few times.
    private func onLoop(_ body: @escaping @Sendable (EventLoop) -> Void) throws -> (LoopGroup, EventLoop) {
        let group = LoopGroup(count: 1)
        try group.start { _ in }
        let loop = group.loops[0]
        nonisolated(unsafe) let l = loop
        loop.execute { body(l) }
        return (group, loop)
    }

    private func stop(_ group: LoopGroup) {
        nonisolated(unsafe) let l = group.loops[0]
        l.execute { l.stop() }
        XCTAssertTrue(group.wait(until: Instant.now() + .nanoseconds(2_000_000_000)))
    }

    /// Returns once the loop has started a new iteration (so its pending interest changes,
    /// applied right before each wait, are in the kernel).
    private func turn(_ loop: EventLoop) { loop.settle(iterations: 2) }

    private func waitFor(_ cond: () -> Bool) { eventually(timeout: .seconds(2), cond) }

    /// A descriptor epoll refuses (a regular file: EPERM) reaches its handler as `.error`; io_uring
    /// polls it like poll(2) does, always ready.
    func testRefusedDescriptorIsReportedToItsHandler() throws {
        let fd = open("/proc/self/status", O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let rec = Recorder()
        nonisolated(unsafe) let r = rec
        let (group, loop) = try onLoop { $0.register(fd, r, interest: .read) }
        waitFor { !rec.seen.isEmpty }
        if loop.backend == .uring {
            XCTAssertEqual(rec.seen.first, .readable)
            XCTAssertEqual(loop.interestFailures, 0)
        } else {
            XCTAssertEqual(rec.seen.first, .error)
            XCTAssertEqual(loop.interestFailures, 1)
        }
        stop(group)
    }

    /// A descriptor number that is not open (EBADF on both backends) reaches its handler as
    /// `.error`, once: the loop does not retry it every iteration.
    func testDescriptorThatIsNotOpenIsReportedOnce() throws {
        let rec = Recorder()
        nonisolated(unsafe) let r = rec
        let (group, loop) = try onLoop { loop in
            let fd = dup(0)   // a number free once the loop has its own descriptors
            close(fd)
            loop.register(fd, r, interest: .read)
        }
        waitFor { !rec.seen.isEmpty }
        turn(loop)
        XCTAssertEqual(rec.seen, [.error])
        XCTAssertEqual(loop.interestFailures, 1)
        stop(group)
    }

    /// The descriptor number is closed and reopened behind the loop's back (libpq does this in
    /// PQconnectPoll): the next interest change (MOD, ENOENT) is re-added, and events flow.
    func testReopenedDescriptorIsAddedAgain() throws {
        var a: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &a), 0)
        let fd = a[0]
        let rec = Recorder()
        nonisolated(unsafe) let r = rec
        let (group, loop) = try onLoop { $0.register(fd, r, interest: .read) }
        turn(loop)   // registered, and applied by the wait that began the next iteration
        var b: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &b), 0)
        close(fd)                       // the kernel drops fd from the epoll set
        XCTAssertEqual(dup2(b[0], fd), fd)   // same number, new socket
        close(b[0])
        nonisolated(unsafe) let l = loop
        loop.execute { l.setInterest(fd, [.read, .write]) }
        waitFor { rec.seen.contains { $0.contains(.writable) } }
        XCTAssertTrue(rec.seen.contains { $0.contains(.writable) }, "no events after the re-add: \(rec.seen)")
        XCTAssertFalse(rec.seen.contains(.error))
        stop(group)
        close(fd); close(a[1]); close(b[1])
    }

    func testThreadThatCannotStartIsAnError() {
        XCTAssertThrowsError(try OSThread.spawn(name: "huge", stackSize: 1 << 46) {}) { error in
            XCTAssertTrue("\(error)".contains("huge"), "\(error)")
        }
    }
}
