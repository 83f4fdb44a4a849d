import ChainTestSupport
import Foundation
import Glibc
import HTTP1
import Reactor
import XCTest

final class ServerTimeoutTests: XCTestCase {
    /// Dripping header lines does not restart the header timeout: it counts from the first byte.
    func testSlowlorisIsClosedWhileOthersAreServed() throws {
        let server = try TestServer(clock: ManualClock())
        defer { _ = server.stop() }
        let slow = try RawClient(port: server.port)
        slow.send("GET /health HTTP/1.1\r\nHost: x\r\n")   // never finishes the head
        for _ in 0..<5 {
            let c = try RawClient(port: server.port)
            c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.status, 200)
            slow.send("X-Drip: 1\r\n")
            server.advance(by: .milliseconds(50))
        }
        server.advance(by: .milliseconds(149))
        XCTAssertTrue(slow.isSilent(), "closed before the 400 ms header timeout")
        server.advance(by: .milliseconds(1))
        XCTAssertEqual(slow.readResponse()?.status, 408)
        XCTAssertTrue(slow.isClosedByPeer())
    }

    func testIdleKeepAliveTimeoutCloses() throws {
        var config = TestServer.quickConfig()
        config.keepAliveTimeout = .milliseconds(200)
        let server = try TestServer(config: config, clock: ManualClock())
        defer { _ = server.stop() }
        let c = try RawClient(port: server.port)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.status, 200)
        server.advance(by: .milliseconds(199))
        XCTAssertTrue(c.isSilent(), "closed before the keep-alive timeout")
        server.advance(by: .milliseconds(1))
        XCTAssertTrue(c.isClosedByPeer())
    }

    /// The handler may have committed something: the outcome is unknown, so 504, not 503.
    func testHandlerMissingItsDeadlineGets504() throws {
        var config = TestServer.quickConfig()
        config.requestTimeout = .milliseconds(200)
        let server = try TestServer(config: config, clock: ManualClock())
        defer { _ = server.stop() }
        let c = try RawClient(port: server.port)
        c.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
        server.advance(by: .milliseconds(199))
        XCTAssertTrue(c.isSilent(), "answered before the request timeout")
        server.advance(by: .milliseconds(1))
        let r = c.readResponse()
        XCTAssertEqual(r?.status, 504)
        XCTAssertTrue(r?.body.contains("upstream_timeout") ?? false, r?.body ?? "")
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
        XCTAssertTrue(eventually(timeout: .seconds(2)) { server.connections == 1001 }, "\(server.connections) open")
    }

    func testGracefulShutdownFinishesInFlightRequests() throws {
        let server = try TestServer(loops: 1, clock: ManualClock())
        let busy = try RawClient(port: server.port)
        busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try RawClient(port: server.port)
        idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(idle.readResponse()?.status, 200)
        server.settle()   // the slow request is in flight: its answer is due in 300 ms
        let stopped = Atomic_(false)
        let t = try OSThread.spawn(name: "stopper") { stopped.set(server.stop()) }
        XCTAssertTrue(idle.isClosedByPeer(), "idle connections are closed")
        XCTAssertTrue(busy.isSilent(), "the in-flight request is not cut short")
        server.advance(by: .milliseconds(300))
        let r = busy.readResponse()
        XCTAssertEqual(r?.status, 200, "the in-flight request completes")
        XCTAssertEqual(r?.header("connection"), "close")
        XCTAssertTrue(busy.isClosedByPeer())
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
