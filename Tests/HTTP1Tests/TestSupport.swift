import ChainTestSupport
import Foundation
import Glibc
import HTTP1
import Reactor
import Synchronization
import XCTest

/// A blocking loopback client for live tests: raw bytes in, raw bytes out, with a timeout.
final class RawClient {
    private(set) var fd: Int32

    init(port: Int, timeoutMs: Int = 3000) throws {
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: port)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafeBytes(of: addr.storage) {
            connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), addr.length)
        }
        if rc != 0 { close(fd); throw SystemError.errno("connect") }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Closes with a reset (SO_LINGER 0), as a crashed or impatient client does.
    func reset() {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close(fd)
        fd = -1
    }

    func send(_ s: String) { send(Array(s.utf8)) }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// Reads until `count` complete responses arrived, EOF, or the timeout.
    func readResponses(_ count: Int) -> [TestResponse] {
        var data = [UInt8]()
        var out: [TestResponse] = []
        while out.count < count {
            if let (r, used) = TestResponse.parse(data) {
                out.append(r)
                data.removeFirst(used)
                continue
            }
            guard let chunk = readSome() else { break }
            data += chunk
        }
        return out
    }

    func readResponse() -> TestResponse? { readResponses(1).first }

    /// nil on EOF or timeout.
    func readSome() -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 ? Array(buf[0..<n]) : nil
    }

    /// True when nothing has arrived (not even EOF): the server has not answered or closed yet.
    func isSilent() -> Bool {
        var b: UInt8 = 0
        return recv(fd, &b, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) < 0 && errno == EAGAIN
    }

    /// True when the server closed the connection (EOF or reset) within the timeout.
    func isClosedByPeer() -> Bool {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}

struct TestResponse {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Minimal parsing for assertions: Content-Length framed (the server always frames so).
    static func parse(_ d: [UInt8]) -> (TestResponse, Int)? {
        guard let end = find(d, [13, 10, 13, 10]) else { return nil }
        let head = String(decoding: d[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        let status = Int(statusLine[1]) ?? 0
        let headers = lines.map { l -> (String, String) in
            let i = l.firstIndex(of: ":")!
            return (String(l[..<i]), l[l.index(after: i)...].trimmingCharacters(in: .whitespaces))
        }
        var r = TestResponse(status: status, headers: headers, body: "")
        if status == 100 { return (r, end + 4) }
        let len = Int(r.header("content-length") ?? "0") ?? 0
        guard d.count >= end + 4 + len else { return nil }
        r.body = String(decoding: d[(end + 4)..<(end + 4 + len)], as: UTF8.self)
        return (r, end + 4 + len)
    }

    static func find(_ d: [UInt8], _ needle: [UInt8]) -> Int? {
        guard d.count >= needle.count else { return nil }
        for i in 0...(d.count - needle.count) where d[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}

/// A server on its own loop group with routes for the live tests. Given a ManualClock, its
/// loops read that clock: its timers fire when the test calls `advance`, never on their own.
final class TestServer {
    let group: LoopGroup
    let server: HTTPServer
    let clock: ManualClock?

    init(config: ServerConfig = TestServer.quickConfig(), loops: Int = 2, clock: ManualClock? = nil,
         routes: (Router) -> Void = TestServer.defaultRoutes) throws {
        let router = Router()
        routes(router)
        var c = config
        c.host = "127.0.0.1"
        c.port = 0
        self.clock = clock
        group = LoopGroup(count: loops, clock: clock?.loopClock ?? .monotonic)
        server = try HTTPServer(config: c, router: router, group: group)
        let s = server
        try group.start { loop in s.start(on: loop) }
    }

    var port: Int { server.port }

    /// Moves the server's ManualClock: what the loops had received is handled first, and the
    /// timers due by the new time have fired when this returns.
    func advance(by amount: TimeAmount, file: StaticString = #filePath, line: UInt = #line) {
        guard let clock else { return XCTFail("advance on a server without a ManualClock", file: file, line: line) }
        clock.advance(by: amount, on: group.loops, file: file, line: line)
    }

    /// Lets every loop handle what it has received so far (see `EventLoop.settle`).
    func settle() { for loop in group.loops { loop.settle() } }

    /// Open connections on every loop, read on the loops themselves.
    var connections: Int {
        group.loops.reduce(0) { sum, loop in
            let s = server
            nonisolated(unsafe) let l = loop
            return sum + (loop.sync { s.connectionCount(on: l) } ?? -1)
        }
    }

    static func quickConfig() -> ServerConfig {
        var c = ServerConfig()
        c.headerTimeout = .milliseconds(400)
        c.bodyTimeout = .milliseconds(400)
        c.keepAliveTimeout = .seconds(5)
        c.requestTimeout = .seconds(1)
        c.lingerTimeout = .milliseconds(300)
        return c
    }

    static func defaultRoutes(_ r: Router) {
        r.add(.GET, "/health") { _, res in res.respond(status: 200, body: "{\"status\":\"ok\"}") }
        r.add(.POST, "/echo") { req, res in res.respond(status: 200, contentType: "text/plain", body: req.body) }
        r.add(.GET, "/users/{id}") { req, res in
            res.respond(status: 200, body: Array("{\"id\":\(req.string(req.params[0]))}".utf8))
        }
        r.add(.GET, "/slow") { _, res in
            res.loop.schedule(after: .nanoseconds(300_000_000)) { res.respond(status: 200, body: "{\"slow\":true}") }
        }
        r.add(.GET, "/never") { _, _ in }
    }

    /// Graceful shutdown, as the CLI does it; returns true when every loop stopped in time.
    func stop(deadlineMs: UInt64 = 3000) -> Bool {
        server.shutdown(group) { loop in loop.stop() }
        return group.wait(until: Instant.now() + .milliseconds(deadlineMs))
    }
}
