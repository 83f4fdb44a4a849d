import Glibc
import HTTP1
import Reactor
import XCTest

/// A port is shared by the loops of one server, never with another server or process.
final class ServerPortClaimTests: XCTestCase {
    func testSecondServerOnAServedPortIsRefused() throws {
        let port = Self.freePort()
        let first = try Self.server(port: port, loops: 2)
        defer { _ = first.stop() }

        var config = TestServer.quickConfig()
        config.host = "127.0.0.1"
        config.port = port
        XCTAssertThrowsError(try HTTPServer(config: config, router: Router(), group: LoopGroup(count: 2))) { error in
            XCTAssertTrue(error is PortInUse, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("port \(port) in use"), "\(error)")
        }

        // The first server's loops still share the port between them.
        let clients = try (0..<16).map { _ in try RawClient(port: port) }
        for c in clients {
            c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.status, 200)
        }
        let perLoop = first.group.loops.map { first.server.connectionCount(on: $0) }
        XCTAssertEqual(perLoop.reduce(0, +), 16)
        XCTAssertTrue(perLoop.allSatisfy { $0 > 0 }, "the kernel balances over both loops: \(perLoop)")
    }

    /// Another process's SO_REUSEPORT listener (a second `chain serve`, for one) also holds the port.
    func testForeignReusePortListenerHoldsThePort() throws {
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: 0)
        let foreign = try Socket.listen(addr, reusePort: true)
        defer { close(foreign) }
        let port = Socket.localPort(foreign)
        var config = TestServer.quickConfig()
        config.host = "127.0.0.1"
        config.port = port
        XCTAssertThrowsError(try HTTPServer(config: config, router: Router(), group: LoopGroup(count: 1))) { error in
            XCTAssertEqual("\(error)", "port \(port) in use (something already listens on 127.0.0.1:\(port))")
        }
        // On the wildcard address too.
        config.host = "0.0.0.0"
        XCTAssertThrowsError(try HTTPServer(config: config, router: Router(), group: LoopGroup(count: 1)))
    }

    /// A server on `port` with the live tests' routes (TestServer always takes port 0).
    private static func server(port: Int, loops: Int) throws -> (server: HTTPServer, group: LoopGroup, stop: () -> Bool) {
        let router = Router()
        TestServer.defaultRoutes(router)
        var config = TestServer.quickConfig()
        config.host = "127.0.0.1"
        config.port = port
        let group = LoopGroup(count: loops)
        let server = try HTTPServer(config: config, router: router, group: group)
        try group.start { server.start(on: $0) }
        return (server, group, {
            server.shutdown(group) { $0.stop() }
            return group.wait(until: Instant.now() + .nanoseconds(3_000_000_000))
        })
    }

    /// A port nothing listens on now (bound, then closed).
    static func freePort() -> Int {
        let fd = try! Socket.listen(SocketAddress.resolve(host: "127.0.0.1", port: 0), reusePort: false)
        defer { close(fd) }
        return Socket.localPort(fd)
    }
}
