import ChainTestSupport
import Glibc
import HTTP1
import Reactor
import Synchronization
import XCTest

/// Hostile and unusual clients: each test here failed before the defect it names was fixed.
final class ServerHardeningTests: XCTestCase {
    /// Draining after an error used to read until EAGAIN: a client that never stops sending held
    /// the loop, and every other connection on it, for as long as it kept sending.
    func testFloodAfterAnErrorDoesNotStallTheLoop() throws {
        var c = TestServer.quickConfig()
        c.lingerTimeout = .nanoseconds(5_000_000_000)   // only the byte caps may end the flood early
        let server = try TestServer(config: c, loops: 1)
        defer { _ = server.stop() }
        let flooder = try RawClient(port: server.port)
        flooder.send("BROKEN\r\n\r\n")
        XCTAssertEqual(flooder.readResponse()?.status, 400)
        let floodEnded = Atomic<Int>(0)
        let floodStarted = Atomic<Bool>(false)
        let fd = flooder.fd
        let flood = try OSThread.spawn(name: "flood") {
            let chunk = [UInt8](repeating: 0x41, count: 65536)
            let started = monotonicNanos()
            while monotonicNanos() - started < 3_000_000_000 {
                let n = chunk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n < 0 { break }   // the server closed: the cap worked
                floodStarted.store(true, ordering: .relaxed)
            }
            floodEnded.store(Int(bitPattern: UInt(monotonicNanos() - started)), ordering: .relaxed)
        }
        XCTAssertTrue(eventually(timeout: .seconds(2)) { floodStarted.load(ordering: .relaxed) || floodEnded.load(ordering: .relaxed) > 0 })
        let probe = try RawClient(port: server.port)
        var worst: UInt64 = 0
        for _ in 0..<20 {
            let t0 = monotonicNanos()
            probe.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(probe.readResponse()?.status, 200)
            worst = max(worst, monotonicNanos() - t0)
        }
        flood.join()
        XCTAssertLessThan(worst, 500_000_000, "a /health on the flooded loop took \(worst / 1_000_000) ms")
        XCTAssertLessThan(floodEnded.load(ordering: .relaxed), 2_500_000_000, "the flooding connection was not closed")
    }

    /// 64 KiB of data in one-byte chunks wrapped in kilobytes of extensions each: the framing,
    /// not only the decoded size, is bounded.
    func testChunkFramingIsCapped() {
        var wire = [UInt8]()
        let ext = ";" + String(repeating: "e", count: 2000)
        for _ in 0..<100 { wire += Array("1\(ext)\r\na\r\n".utf8) }
        wire += Array("0\r\n\r\n".utf8)
        var d = ChunkedDecoder(maxBody: 65536)
        let status = wire.withUnsafeMutableBytes { d.decode($0) }
        XCTAssertEqual(status, .error(ParseError(.chunkFramingTooLarge)))
        XCTAssertEqual(ParseError(.chunkFramingTooLarge).status, 400)
        // Ordinary framing stays well inside: 1000 chunks of 16 bytes.
        var normal = [UInt8]()
        for _ in 0..<1000 { normal += Array("10\r\n0123456789abcdef\r\n".utf8) }
        normal += Array("0\r\n\r\n".utf8)
        var d2 = ChunkedDecoder(maxBody: 65536)
        XCTAssertEqual(normal.withUnsafeMutableBytes { d2.decode($0) }, .complete)
        XCTAssertEqual(d2.decodedCount, 16000)
    }

    func testChunkFramingFloodGets400() throws {
        let server = try TestServer(loops: 1)
        defer { _ = server.stop() }
        let client = try RawClient(port: server.port)
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        let piece = Array("1;\(String(repeating: "e", count: 4000))\r\na\r\n".utf8)
        var sent = 0
        while sent < 400 * 1024 {
            client.send(piece)
            sent += piece.count
        }
        let r = client.readResponse()
        XCTAssertEqual(r?.status, 400)
        XCTAssertTrue(r?.body.contains("chunk framing") ?? false, r?.body ?? "no response")
    }

    /// A handler answering after its connection was reset must still see its own request:
    /// the input buffer used to go back to the pool, where the next connection overwrote it.
    func testRequestViewsOutliveAResetConnection() throws {
        let seen = Mutex<[String]>([])
        let server = try TestServer(loops: 1, clock: ManualClock()) { r in
            TestServer.defaultRoutes(r)
            r.add(.POST, "/hold") { req, res in
                res.loop.schedule(after: .milliseconds(150)) {
                    let body = String(decoding: req.body, as: UTF8.self)
                    seen.withLock { $0.append(body) }
                    res.respond(status: 200, body: req.body)
                }
            }
        }
        defer { _ = server.stop() }
        let mine = String(repeating: "A", count: 3000)
        let held = try RawClient(port: server.port)
        held.send("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n\(mine)")
        server.settle()   // the handler holds the request
        held.reset()
        // The server sees the reset (EPOLLERR) and closes its side.
        XCTAssertTrue(eventually(timeout: .seconds(2)) { server.connections == 0 })
        for _ in 0..<5 {
            let other = try RawClient(port: server.port)
            let theirs = String(repeating: "B", count: 3000)
            other.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n\(theirs)")
            XCTAssertEqual(other.readResponse()?.body, theirs)
        }
        server.advance(by: .milliseconds(150))   // the held handler answers now
        let got = seen.withLock { $0 }
        XCTAssertTrue(got == [mine], "the handler saw \(got.map { "\($0.prefix(8))… (\($0.count) bytes)" })")
    }

    /// Pipelined requests, then shutdown(SHUT_WR): every response arrives before the close,
    /// even when they do not fit in the socket buffers at once.
    func testHalfClosedClientGetsEveryResponse() throws {
        let server = try TestServer(loops: 1, routes: Self.bigRoutes)
        defer { _ = server.stop() }
        let client = try RawClient(port: server.port, timeoutMs: 5000)
        client.send(String(repeating: "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", count: 8))
        shutdown(client.fd, Int32(SHUT_WR))
        server.settle()   // the server has read the requests and the EOF; most output is still queued
        let responses = client.readResponses(8)
        XCTAssertEqual(responses.count, 8)
        XCTAssertTrue(responses.allSatisfy { $0.status == 200 && $0.body.utf8.count == 1 << 20 })
        XCTAssertTrue(client.isClosedByPeer())
    }

    /// Pipelined requests whose responses pass the output high-water mark: parsing resumes
    /// when the output drains, without waiting for input that will never come.
    func testPipelinedLargeResponsesAllArrive() throws {
        let server = try TestServer(loops: 1, routes: Self.bigRoutes)
        defer { _ = server.stop() }
        let client = try RawClient(port: server.port, timeoutMs: 3000)
        client.send(String(repeating: "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", count: 6))
        XCTAssertEqual(client.readResponses(6).count, 6)
    }

    static func bigRoutes(_ r: Router) {
        let big = [UInt8](repeating: 0x62, count: 1 << 20)
        r.add(.GET, "/big") { _, res in res.respond(status: 200, contentType: "text/plain", body: big) }
    }

    /// Above the in-flight cap a request is refused at once with 503 and Retry-After; health
    /// checks are never refused; refusals are counted.
    func testInFlightCapSheds503WithRetryAfter() throws {
        var c = TestServer.quickConfig()
        c.maxInFlight = 2
        // The clock stands still: the refusal cannot have waited for a /slow answer (due at 300 ms).
        let server = try TestServer(config: c, loops: 1, clock: ManualClock()) { r in
            r.add(.GET, "/health", admission: .always) { _, res in res.respond(status: 200, body: "{}") }
            r.add(.GET, "/slow") { _, res in
                res.loop.schedule(after: .milliseconds(300)) { res.respond(status: 200, body: "{\"slow\":true}") }
            }
        }
        defer { _ = server.stop() }
        let busy = try (0..<2).map { _ in try RawClient(port: server.port) }
        for b in busy { b.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n") }
        server.settle()   // both hold a slot
        let extra = try RawClient(port: server.port)
        extra.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        let refused = extra.readResponse()
        XCTAssertEqual(refused?.status, 503)
        XCTAssertEqual(refused?.header("Retry-After"), "1")
        XCTAssertTrue(refused?.body.contains("\"code\":\"unavailable\"") ?? false, refused?.body ?? "")
        extra.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(extra.readResponse()?.status, 200)
        server.advance(by: .milliseconds(300))
        for b in busy { XCTAssertEqual(b.readResponse()?.status, 200) }
        XCTAssertEqual(server.server.shedCount, 1)
        // Slots come back once answered.
        extra.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        server.advance(by: .milliseconds(300))
        XCTAssertEqual(extra.readResponse()?.status, 200)
    }

    /// Above the connection cap the loop stops accepting; a close lets the next one in.
    func testConnectionCapPausesAccepting() throws {
        var c = TestServer.quickConfig()
        c.maxConnections = 2
        let server = try TestServer(config: c, loops: 1)
        defer { _ = server.stop() }
        var first = try (0..<2).map { _ in try RawClient(port: server.port) }
        for f in first {
            f.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(f.readResponse()?.status, 200)
        }
        let waiting = try RawClient(port: server.port, timeoutMs: 300)   // sits in the backlog
        waiting.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertNil(waiting.readResponse(), "a connection over the cap was served")
        XCTAssertGreaterThanOrEqual(server.server.acceptPauseCount, 1)
        first.removeFirst()   // closes one
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(waiting.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        XCTAssertEqual(waiting.readResponse()?.status, 200)
    }
}
