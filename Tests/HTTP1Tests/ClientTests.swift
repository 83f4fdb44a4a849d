import ChainTestSupport
import Foundation
import Glibc
import HTTP1
import Reactor
import XCTest

/// The HTTP client driven on a loop of its own, against the real server and canned peers. The
/// client's loop reads a ManualClock: its deadlines pass only when a test advances it.
final class ClientTests: XCTestCase {
    var server: TestServer!
    var clientGroup: LoopGroup!
    let clock = ManualClock()

    override func setUpWithError() throws {
        server = try TestServer()
        clientGroup = LoopGroup(count: 1, clock: clock.loopClock)
        try clientGroup.start { _ in }
    }

    override func tearDown() {
        nonisolated(unsafe) let l = clientGroup.loops[0]
        l.execute { l.stop() }
        _ = clientGroup.wait(until: Instant.now() + .nanoseconds(2_000_000_000))
        _ = server.stop()
    }

    struct Outcome { var status: Int?; var body: String?; var error: ClientError? }

    /// Runs `body` on the client loop, moves the client's clock by `advancing` once it ran, and
    /// waits for `count` outcomes.
    func run(_ count: Int, advancing: TimeAmount? = nil,
             _ body: @escaping (EventLoop, @escaping (Outcome) -> Void) -> Void) -> [Outcome] {
        let results = Atomic_<[Outcome]>([])
        nonisolated(unsafe) let loop = clientGroup.loops[0]
        nonisolated(unsafe) let b = body
        loop.execute {
            b(loop) { o in results.set(results.get() + [o]) }
        }
        if let advancing { clock.advance(by: advancing, on: [loop]) }
        eventually(timeout: .seconds(5)) { results.get().count >= count }
        return results.get()
    }

    static func outcome(_ r: ClientResult) -> Outcome {
        switch r {
        case .response(let resp):
            return Outcome(status: Int(resp.status), body: String(decoding: resp.body, as: UTF8.self))
        case .failure(let e):
            return Outcome(error: e)
        }
    }

    func testRequestsReuseOneKeepAliveConnection() throws {
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: server.port)
        nonisolated(unsafe) var client: HTTPClient!
        let out = run(3) { loop, done in
            client = HTTPClient(loop: loop, address: addr, hostHeader: "test")
            func next(_ i: Int) {
                guard i <= 3 else { return }
                var req = ClientRequest(method: .POST, path: "/echo", contentType: "text/plain", body: Array("m\(i)".utf8))
                req.headers.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                client.send(req, deadline: loop.now + .nanoseconds(2_000_000_000)) { r in
                    done(Self.outcome(r))
                    next(i + 1)
                }
            }
            next(1)
        }
        XCTAssertEqual(out.map(\.body), ["m1", "m2", "m3"])
        XCTAssertEqual(out.map(\.status), [200, 200, 200])
        let open = Atomic_(0)
        nonisolated(unsafe) let c = client
        _ = run(1) { _, done in open.set(c!.openConnections); done(Outcome()) }
        XCTAssertEqual(open.get(), 1, "sequential requests share one pooled connection")
    }

    func testConcurrentRequestsBeyondThePoolWait() throws {
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: server.port)
        var config = ClientConfig()
        config.maxConnections = 2
        let out = run(10) { loop, done in
            let client = HTTPClient(loop: loop, address: addr, hostHeader: "test", config: config)
            for i in 0..<10 {
                client.send(ClientRequest(method: .GET, path: "/users/\(i)"), deadline: loop.now + .nanoseconds(3_000_000_000)) {
                    done(Self.outcome($0))
                }
            }
        }
        XCTAssertEqual(out.count, 10)
        XCTAssertEqual(Set(out.compactMap(\.body)).count, 10)
    }

    func testConnectionRefusedAndTimeout() throws {
        // A port nothing listens on: bind one, then close it.
        let probe = try Socket.listen(SocketAddress.resolve(host: "127.0.0.1", port: 0), reusePort: false)
        let deadPort = Socket.localPort(probe)
        close(probe)
        let dead = try SocketAddress.resolve(host: "127.0.0.1", port: deadPort)
        // A listener that never accepts: the kernel completes the connect, nobody answers.
        let silent = try Socket.listen(SocketAddress.resolve(host: "127.0.0.1", port: 0), reusePort: false)
        defer { close(silent) }
        let live = try SocketAddress.resolve(host: "127.0.0.1", port: Socket.localPort(silent))
        let out = run(2, advancing: .milliseconds(100)) { loop, done in
            HTTPClient(loop: loop, address: dead, hostHeader: "x").send(ClientRequest(method: .GET, path: "/"), deadline: loop.now + .seconds(1)) {
                done(Self.outcome($0))
            }
            HTTPClient(loop: loop, address: live, hostHeader: "x").send(ClientRequest(method: .GET, path: "/"), deadline: loop.now + .milliseconds(100)) {
                done(Self.outcome($0))
            }
        }
        XCTAssertEqual(out.count, 2)
        XCTAssertTrue(out.contains { $0.error == .connectFailed(ECONNREFUSED) }, "\(out)")
        XCTAssertTrue(out.contains { $0.error == .timeout }, "\(out)")
    }

    /// The upstream "moved" (the client's address is stale, as after a container was recreated):
    /// the refused connect starts a lookup off the loop, and later requests reach the new address.
    func testUpstreamResolverRepointsTheClientAfterAConnectFailure() throws {
        let probe = try Socket.listen(SocketAddress.resolve(host: "127.0.0.1", port: 0), reusePort: false)
        let stale = try SocketAddress.resolve(host: "127.0.0.1", port: Socket.localPort(probe))
        close(probe)
        let resolver = UpstreamResolver(host: "localhost", port: server.port, minInterval: 50_000_000)
        nonisolated(unsafe) var client: HTTPClient!
        let first = run(1) { loop, done in
            client = HTTPClient(loop: loop, address: stale, hostHeader: "x")
            resolver.watch(client)
            client.send(ClientRequest(method: .GET, path: "/users/1"), deadline: loop.now + .nanoseconds(1_000_000_000)) { done(Self.outcome($0)) }
        }
        // Refused, or (if the lookup beat the immediate retry) answered from the new address.
        XCTAssertTrue(first.first?.error == .connectFailed(ECONNREFUSED) || first.first?.status == 200, "\(first)")
        XCTAssertEqual(resolver.lookupCount, 1, "one lookup for the refused attempts, however many")
        nonisolated(unsafe) let c = client
        var later: [Outcome] = []
        eventually(timeout: .seconds(5)) {   // the lookup runs off the loop, in its own time
            later = run(1) { loop, done in
                c!.send(ClientRequest(method: .GET, path: "/users/1"), deadline: loop.now + .nanoseconds(1_000_000_000)) { done(Self.outcome($0)) }
            }
            return later.first?.status == 200
        }
        XCTAssertEqual(later.first?.status, 200, "\(later)")
    }

    /// A close-delimited body is held to the client's body limit like any other, instead of
    /// growing for as long as the peer keeps sending.
    func testCloseDelimitedBodyIsCappedAtTheBodyLimit() throws {
        let huge = String(repeating: "x", count: (1 << 20) + 4096)
        let canned = try CannedServer(responses: ["HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + huge])
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: canned.port)
        let out = run(1) { loop, done in
            let client = HTTPClient(loop: loop, address: addr, hostHeader: "x")
            client.send(ClientRequest(method: .GET, path: "/"), deadline: loop.now + .nanoseconds(2_000_000_000)) { done(Self.outcome($0)) }
        }
        canned.join()
        XCTAssertEqual(out.count, 1)
        XCTAssertNil(out.first?.status, "a body over the limit was delivered")
        if case .invalidResponse(let code)? = out.first?.error {
            XCTAssertEqual(code, .bodyTooLarge)
        } else {
            XCTFail("expected invalidResponse(.bodyTooLarge), got \(String(describing: out.first?.error))")
        }
    }

    func testChunkedCloseDelimitedAndStaleConnections() throws {
        let canned = try CannedServer(responses: [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close",
            "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",   // then EOF: truncated
        ])
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: canned.port)
        let out = run(4) { loop, done in
            let client = HTTPClient(loop: loop, address: addr, hostHeader: "x")
            func next(_ i: Int) {
                guard i < 4 else { return }
                client.send(ClientRequest(method: .GET, path: "/\(i)"), deadline: loop.now + .nanoseconds(2_000_000_000)) {
                    done(Self.outcome($0))
                    next(i + 1)
                }
            }
            next(0)
        }
        canned.join()
        XCTAssertEqual(out.count, 4)
        XCTAssertEqual(out[0].body, "abcde")
        XCTAssertEqual(out[1].body, "until-close")
        XCTAssertEqual(out[2].status, 201)
        XCTAssertEqual(out[3].error, .connectionClosed)
    }

    func testPooledConnectionClosedByPeerIsNotReused() throws {
        // Keep-alive responses, but the peer closes after each: the idle connection sees EOF
        // and leaves the pool, so the next request opens a fresh one instead of failing.
        let canned = try CannedServer(responses: [
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb",
        ])
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: canned.port)
        nonisolated(unsafe) var client: HTTPClient!
        let first = run(1) { loop, done in
            client = HTTPClient(loop: loop, address: addr, hostHeader: "x")
            client.send(ClientRequest(method: .GET, path: "/"), deadline: loop.now + .seconds(2)) { done(Self.outcome($0)) }
        }
        nonisolated(unsafe) let c = client!
        let loop = clientGroup.loops[0]
        XCTAssertTrue(eventually(timeout: .seconds(2)) { loop.sync { c.openConnections } == 0 }, "the closed connection left the pool")
        let second = run(1) { loop, done in
            c.send(ClientRequest(method: .GET, path: "/"), deadline: loop.now + .seconds(2)) { done(Self.outcome($0)) }
        }
        canned.join()
        XCTAssertEqual((first + second).map(\.body), ["a", "b"])
    }
}

/// Accepts connections one after another on its own thread and answers each with the next
/// canned response, closing after each one (so the client must reconnect).
final class CannedServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private var thread: OSThread!

    init(responses: [String]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 16)
        port = Socket.localPort(fd)
        let listenFD = fd
        thread = try OSThread.spawn(name: "canned") {
            for r in responses {
                let c = accept(listenFD, nil, nil)
                var buf = [UInt8](repeating: 0, count: 4096)
                _ = recv(c, &buf, buf.count, 0)
                _ = Array(r.utf8).withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                shutdown(c, Int32(SHUT_WR))
                // Close once the client has: closing with its bytes unread would reset the
                // connection, and the reset could overtake the response.
                var tv = timeval(tv_sec: 2, tv_usec: 0)
                setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                while recv(c, &buf, buf.count, 0) > 0 {}
                close(c)
            }
        }
    }

    func join() {
        thread.join()
        close(fd)
    }
}
