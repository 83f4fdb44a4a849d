import Foundation
import Glibc
import HTTP1
import Reactor
import XCTest

final class ServerTimeoutTests: XCTestCase {
    func testSlowlorisIsClosedWhileOthersAreServed() throws {
        let server = try TestServer()
        defer { _ = server.stop() }
        let slow = try RawClient(port: server.port)
        slow.send("GET /health HTTP/1.1\r\nHost: x\r\n")   // never finishes the head
        let start = monotonicNanos()
        for _ in 0..<5 {
            let c = try RawClient(port: server.port)
            c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.status, 200)
            slow.send("X-Drip: 1\r\n")
            usleep(50_000)
        }
        XCTAssertEqual(slow.readResponse()?.status, 408)
        XCTAssertTrue(slow.isClosedByPeer())
        let elapsed = monotonicNanos() - start
        XCTAssertLessThan(elapsed, 2_000_000_000, "the header timeout counts from the first byte")
    }

    func testIdleKeepAliveTimeoutCloses() throws {
        var config = TestServer.quickConfig()
        config.keepAliveTimeout = 200_000_000
        let server = try TestServer(config: config)
        defer { _ = server.stop() }
        let c = try RawClient(port: server.port)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.status, 200)
        XCTAssertTrue(c.isClosedByPeer())
    }

    func testHandlerMissingItsDeadlineGets503() throws {
        var config = TestServer.quickConfig()
        config.requestTimeout = 200_000_000
        let server = try TestServer(config: config)
        defer { _ = server.stop() }
        let c = try RawClient(port: server.port)
        c.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = c.readResponse()
        XCTAssertEqual(r?.status, 503)
        XCTAssertEqual(r?.header("connection"), "close")
    }

    func testThousandIdleConnectionsDoNotBlockService() throws {
        var lim = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        if lim.rlim_cur < 4096 {
            lim.rlim_cur = min(lim.rlim_max, 8192)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        }
        let server = try TestServer()
        defer { _ = server.stop() }
        let idle = try (0..<1000).map { _ in try RawClient(port: server.port) }
        // A few of them send a request, so they are known to be accepted and live.
        for c in idle.prefix(10) { c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n") }
        for c in idle.prefix(10) { XCTAssertEqual(c.readResponse()?.status, 200) }
        let fresh = try RawClient(port: server.port)
        fresh.send("GET /users/5 HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(fresh.readResponse()?.body, "{\"id\":5}")
        var total = 0
        let deadline = monotonicNanos() + 2_000_000_000
        repeat {
            total = server.group.loops.reduce(0) { $0 + server.server.connectionCount(on: $1) }
            if total >= 1001 { break }
            usleep(10_000)
        } while monotonicNanos() < deadline
        XCTAssertEqual(total, 1001)
    }

    func testGracefulShutdownFinishesInFlightRequests() throws {
        let server = try TestServer()
        let slowBefore = TestServer.slowStarted.load(ordering: .relaxed)
        let busy = try RawClient(port: server.port)
        busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try RawClient(port: server.port)
        idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(idle.readResponse()?.status, 200)
        TestServer.waitForSlowStarts(above: slowBefore)   // the slow request is now in flight
        let stopped = Atomic_(false)
        let t = try OSThread.spawn(name: "stopper") { stopped.set(server.stop()) }
        let r = busy.readResponse()
        XCTAssertEqual(r?.status, 200, "the in-flight request completes")
        XCTAssertEqual(r?.header("connection"), "close")
        XCTAssertTrue(busy.isClosedByPeer())
        XCTAssertTrue(idle.isClosedByPeer(), "idle connections are closed")
        t.join()
        XCTAssertTrue(stopped.get())
        XCTAssertThrowsError(try RawClient(port: server.port), "no longer accepting")
    }
}

/// A tiny lock-protected box for passing a result out of a helper thread.
final class Atomic_<T>: @unchecked Sendable {
    private var value: T
    private var lock = pthread_mutex_t()
    init(_ v: T) { value = v; pthread_mutex_init(&lock, nil) }
    func set(_ v: T) { pthread_mutex_lock(&lock); value = v; pthread_mutex_unlock(&lock) }
    func get() -> T { pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }; return value }
}
