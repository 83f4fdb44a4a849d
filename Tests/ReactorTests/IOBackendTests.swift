import Glibc
import Synchronization
import XCTest
@testable import Reactor

/// What both backends must do the same way, run on each available backend explicitly (the rest
/// of the suite runs on the one CHAIN_IO_BACKEND selects).
final class IOBackendTests: XCTestCase {
    static var backends: [IOBackend] { IOBackend.uringUnavailableReason == nil ? [.epoll, .uring] : [.epoll] }

    /// Reads one byte per readiness event, and can drop its interest after each.
    final class ByteReader: IOHandler {
        let fd: Int32
        let loop: EventLoop
        let got = Atomic<Int>(0)
        let events = Atomic<Int>(0)
        var pauseAfterEach = false
        init(fd: Int32, loop: EventLoop) { self.fd = fd; self.loop = loop }
        func ioReady(_ e: IOEvents) {
            events.add(1, ordering: .relaxed)
            var b: UInt8 = 0
            if read(fd, &b, 1) == 1 { got.add(1, ordering: .relaxed) }
            if pauseAfterEach {
                loop.setInterest(fd, .none)
                let fd = self.fd, loop = self.loop
                loop.schedule(after: .nanoseconds(5_000_000)) { loop.setInterest(fd, .read) }
            }
        }
    }

    private func socketPair() -> (Int32, Int32) {
        var s: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &s), 0)
        return (s[0], s[1])
    }

    private func running(_ backend: IOBackend) throws -> LoopGroup {
        let group = LoopGroup(count: 1, backend: backend)
        XCTAssertEqual(group.loops[0].backend, backend)
        try group.start { _ in }
        return group
    }

    private func stop(_ group: LoopGroup) {
        nonisolated(unsafe) let l = group.loops[0]
        l.execute { l.stop() }
        XCTAssertTrue(group.wait(until: Instant.now() + .nanoseconds(2_000_000_000)))
    }

    private func waitFor(_ cond: () -> Bool) {
        let deadline = monotonicNanos() + 2_000_000_000
        while !cond() && monotonicNanos() < deadline { usleep(1000) }
    }

    /// A handler that leaves data unread hears about it again (the listener and libpq rely on
    /// it); an edge-triggered backend would report the 32 bytes once.
    func testReadinessIsLevelTriggered() throws {
        for backend in Self.backends {
            let (a, b) = socketPair()
            let group = try running(backend)
            let reader = ByteReader(fd: a, loop: group.loops[0])
            nonisolated(unsafe) let r = reader
            group.loops[0].execute { r.loop.register(a, r, interest: .read) }
            XCTAssertEqual(write(b, [UInt8](repeating: 7, count: 32), 32), 32)
            waitFor { reader.got.load(ordering: .relaxed) == 32 }
            XCTAssertEqual(reader.got.load(ordering: .relaxed), 32, "\(backend)")
            stop(group)
            close(a); close(b)
        }
    }

    /// Back-pressure: interest dropped with data waiting, then taken back, reports it at once.
    func testInterestTakenBackReportsDataThatWaited() throws {
        for backend in Self.backends {
            let (a, b) = socketPair()
            let group = try running(backend)
            let reader = ByteReader(fd: a, loop: group.loops[0])
            reader.pauseAfterEach = true
            nonisolated(unsafe) let r = reader
            XCTAssertEqual(write(b, [UInt8](repeating: 7, count: 4), 4), 4)
            group.loops[0].execute { r.loop.register(a, r, interest: .read) }
            waitFor { reader.got.load(ordering: .relaxed) == 4 }
            XCTAssertEqual(reader.got.load(ordering: .relaxed), 4, "\(backend)")
            stop(group)
            close(a); close(b)
        }
    }

    /// `closeDescriptor` of a watched socket reaches the peer at once. On io_uring the poll in
    /// flight holds a reference to the socket, so without its removal the peer would wait for
    /// the end of the loop to see the close.
    func testClosingAWatchedSocketReachesThePeer() throws {
        for backend in Self.backends {
            let (a, b) = socketPair()
            let group = try running(backend)
            let reader = ByteReader(fd: a, loop: group.loops[0])
            nonisolated(unsafe) let r = reader
            let loop = group.loops[0]
            nonisolated(unsafe) let l = loop
            loop.execute { l.register(a, r, interest: .read) }
            loop.execute { l.execute { l.closeDescriptor(a) } }   // after the poll is armed
            var p = pollfd(fd: b, events: Int16(POLLIN), revents: 0)
            XCTAssertEqual(poll(&p, 1, 2000), 1, "\(backend): the peer never saw the close")
            var byte: UInt8 = 0
            XCTAssertEqual(read(b, &byte, 1), 0, "\(backend)")
            stop(group)
            close(b)
        }
    }

    /// A descriptor number closed and reused for another socket within one iteration: the new
    /// socket's handler gets its own events, and the old one gets none.
    func testReusedDescriptorNumberGetsOnlyItsOwnEvents() throws {
        for backend in Self.backends {
            let (a, b) = socketPair()
            let group = try running(backend)
            let loop = group.loops[0]
            let old = ByteReader(fd: a, loop: loop), new = ByteReader(fd: a, loop: loop)
            nonisolated(unsafe) let (o, n, l) = (old, new, loop)
            let (c, d) = socketPair()
            let swapped = Atomic<Bool>(false)
            loop.execute { l.register(a, o, interest: .read) }
            loop.execute {
                l.execute {
                    l.closeDescriptor(a)
                    XCTAssertEqual(dup2(c, a), a)
                    l.register(a, n, interest: .read)
                    swapped.store(true, ordering: .releasing)
                }
            }
            // Wait for the swap itself, not a fixed time: under TSan on a loaded CI machine
            // 20 ms was not always enough, and the old socket then took the byte below.
            waitFor { swapped.load(ordering: .acquiring) }
            XCTAssertTrue(swapped.load(ordering: .acquiring), "\(backend): the loop never ran the swap")
            XCTAssertEqual(send(b, [1], 1, Int32(MSG_NOSIGNAL)), -1)   // the old socket is gone: EPIPE
            XCTAssertEqual(write(d, [1, 2], 2), 2)
            waitFor { new.got.load(ordering: .relaxed) == 2 }
            XCTAssertEqual(new.got.load(ordering: .relaxed), 2, "\(backend)")
            XCTAssertEqual(old.events.load(ordering: .relaxed), 0, "\(backend)")
            stop(group)
            close(a); close(b); close(c); close(d)
        }
    }

    /// Sends through `EventLoop.send` and, after a short send or EAGAIN, sends the rest once the
    /// socket is writable, as a server connection does.
    final class Sender: IOHandler, SendCompletionHandler {
        let fd: Int32
        let loop: EventLoop
        let results = Mutex<[Int]>([])
        let buffers = Mutex<[ObjectIdentifier]>([])
        let done = Atomic<Bool>(false)
        var rest: IOBuffer?
        init(fd: Int32, loop: EventLoop) { self.fd = fd; self.loop = loop }
        func sendCompleted(_ buffer: IOBuffer, result: Int) {
            results.withLock { $0.append(result) }
            buffers.withLock { $0.append(ObjectIdentifier(buffer)) }
            if result > 0 { buffer.readIndex += result }
            if buffer.isEmpty || (result < 0 && result != -Int(EAGAIN)) { return done.store(true, ordering: .releasing) }
            rest = buffer
            loop.setInterest(fd, .write)
        }
        func ioReady(_ e: IOEvents) {
            guard e.contains(.writable), let b = rest else { return }
            rest = nil
            loop.setInterest(fd, .none)
            loop.send(fd, b, self)
        }
    }

    private static func filled(_ count: Int) -> IOBuffer {
        let buf = IOBuffer(capacity: count)
        for i in 0..<count { buf.append(byte: UInt8(truncatingIfNeeded: i % 251)) }
        return buf
    }

    /// More than the socket takes: the completion reports the short count (or EAGAIN), the rest
    /// goes after writability, and the peer gets every byte in order. io_uring only (epoll has
    /// no asynchronous send: `sendsAsynchronously` is false there).
    func testAsyncSendReportsShortSendsAndTheRestFollows() throws {
        for backend in Self.backends {
            let group = try running(backend)
            let loop = group.loops[0]
            guard loop.sendsAsynchronously else {
                XCTAssertEqual(backend, .epoll)
                stop(group)
                continue
            }
            let (a, b) = socketPair()
            var small: Int32 = 4096
            XCTAssertEqual(setsockopt(a, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(4)), 0)
            let count = 512 * 1024
            let sender = Sender(fd: a, loop: loop)
            nonisolated(unsafe) let (s, l) = (sender, loop)
            loop.execute {
                l.register(a, s, interest: .none)
                l.send(a, Self.filled(count), s)
            }
            var got = [UInt8](), chunk = [UInt8](repeating: 0, count: 65536)
            let deadline = monotonicNanos() + 5_000_000_000
            while got.count < count && monotonicNanos() < deadline {
                var p = pollfd(fd: b, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) == 1 else { continue }
                let n = read(b, &chunk, chunk.count)
                if n > 0 { got += chunk[0..<n] }
            }
            waitFor { sender.done.load(ordering: .acquiring) }
            XCTAssertEqual(got.count, count, "\(backend)")
            XCTAssertTrue(got.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: $0.offset % 251) })
            let results = sender.results.withLock { $0 }
            XCTAssertGreaterThan(results.count, 1, "the first send was not short: \(results)")
            XCTAssertTrue(results.first.map { ($0 > 0 && $0 < count) || $0 == -Int(EAGAIN) } ?? false, "\(results)")
            XCTAssertEqual(Set(sender.buffers.withLock { $0 }).count, 1, "every completion hands back the one buffer")
            stop(group)
            close(a); close(b)
        }
    }

    /// A send queued, then its descriptor closed and the number reused in the same iteration
    /// (before the loop's submission): the bytes reach the old peer, followed by the close, and
    /// nothing reaches the new socket; the completion comes once, with the buffer.
    func testCloseWithASendQueuedSendsToTheOldSocketOnly() throws {
        for backend in Self.backends {
            let group = try running(backend)
            let loop = group.loops[0]
            guard loop.sendsAsynchronously else {
                stop(group)
                continue
            }
            let (a, b) = socketPair()
            let (c, d) = socketPair()
            let sender = Sender(fd: a, loop: loop)
            nonisolated(unsafe) let (s, l) = (sender, loop)
            loop.execute {
                l.register(a, s, interest: .none)
                let buf = IOBuffer(capacity: 64)
                buf.append("hello")
                l.send(a, buf, s)
                l.closeDescriptor(a)
                XCTAssertEqual(dup2(c, a), a)
            }
            var bytes = [UInt8](repeating: 0, count: 16)
            var p = pollfd(fd: b, events: Int16(POLLIN), revents: 0)
            XCTAssertEqual(poll(&p, 1, 2000), 1)
            XCTAssertEqual(read(b, &bytes, 16), 5, "\(backend)")
            XCTAssertEqual(String(decoding: bytes[0..<5], as: UTF8.self), "hello")
            // The close is submitted once the send completes, a moment after the bytes arrive.
            XCTAssertEqual(poll(&p, 1, 2000), 1, "the close did not follow")
            XCTAssertEqual(read(b, &bytes, 16), 0, "the close did not follow")
            waitFor { sender.done.load(ordering: .acquiring) }
            XCTAssertEqual(sender.results.withLock { $0 }, [5])
            var q = pollfd(fd: d, events: Int16(POLLIN), revents: 0)
            XCTAssertEqual(poll(&q, 1, 100), 0, "the send went to the socket that reused the number")
            stop(group)
            close(a); close(b); close(c); close(d)
        }
    }

    func testBackendChoice() throws {
        XCTAssertEqual(try IOBackend.epoll.resolved().backend, .epoll)
        let auto = try IOBackend.auto.resolved()
        if let why = IOBackend.uringUnavailableReason {
            XCTAssertThrowsError(try IOBackend.uring.resolved()) { error in
                XCTAssertEqual("\(error)", "--io-backend uring: \(why); use --io-backend epoll or auto")
            }
            XCTAssertEqual(auto.backend, .epoll)
        } else {
            XCTAssertEqual(try IOBackend.uring.resolved().backend, .uring)
            XCTAssertEqual(auto.backend, IOBackend.preferred)
            XCTAssertNil(auto.fallback)
        }
    }

    func testRefusalSaysWhoRefused() {
        XCTAssertEqual(IOBackend.refusal(errno: EPERM, disabledSysctl: "2"),
                       "io_uring is disabled by the sysctl kernel.io_uring_disabled=2")
        XCTAssertEqual(IOBackend.refusal(errno: EPERM, disabledSysctl: "0"),
                       "io_uring_setup was refused with EPERM (a seccomp filter or a container policy)")
        XCTAssertEqual(IOBackend.refusal(errno: ENOSYS, disabledSysctl: nil),
                       "the kernel has no io_uring (io_uring_setup: ENOSYS)")
    }
}
