import ChainTestSupport
import Foundation
import Glibc
import HTTP1
import Reactor
import XCTest

final class ServerLiveTests: XCTestCase {
    var server: TestServer!

    override func setUpWithError() throws { server = try TestServer() }
    override func tearDown() { _ = server.stop() }

    func testHealthIsFramedWithDateAndServer() throws {
        let c = try RawClient(port: server.port)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body, "{\"status\":\"ok\"}")
        XCTAssertEqual(r.header("content-length"), "15")
        XCTAssertEqual(r.header("server"), "chain")
        XCTAssertEqual(r.header("content-type"), "application/json")
        let date = try XCTUnwrap(r.header("date"))
        XCTAssertTrue(date.hasSuffix(" GMT") && date.count == 29, date)
        XCTAssertNil(r.header("connection"))
    }

    func testKeepAliveServesManyRequestsOnOneConnection() throws {
        let c = try RawClient(port: server.port)
        for i in 1...5 {
            c.send("GET /users/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.body, "{\"id\":\(i)}")
        }
    }

    func testPipelinedRequestsAnswerInOrder() throws {
        let server = try TestServer(clock: ManualClock())
        defer { _ = server.stop() }
        let c = try RawClient(port: server.port)
        var batch = ""
        for i in 1...20 { batch += "GET /users/\(i) HTTP/1.1\r\nHost: x\r\n\r\n" }
        batch += "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        batch += "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
        batch += "GET /users/99 HTTP/1.1\r\nHost: x\r\n\r\n"
        c.send(batch)
        var rs = c.readResponses(21)
        server.advance(by: .milliseconds(299))
        XCTAssertTrue(c.isSilent(), "a slow answer holds back the ones behind it")
        server.advance(by: .milliseconds(1))
        rs += c.readResponses(2)
        XCTAssertEqual(rs.count, 23)
        for i in 1...20 { XCTAssertEqual(rs[i - 1].body, "{\"id\":\(i)}") }
        XCTAssertEqual(rs[20].body, "hello")
        XCTAssertEqual(rs[21].body, "{\"slow\":true}", "a slow answer holds back the ones behind it")
        XCTAssertEqual(rs[22].body, "{\"id\":99}")
    }

    func testConnectionCloseAndHTTP10() throws {
        let a = try RawClient(port: server.port)
        a.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(a.readResponse()?.header("connection"), "close")
        XCTAssertTrue(a.isClosedByPeer())

        let b = try RawClient(port: server.port)
        b.send("GET /health HTTP/1.0\r\n\r\n")
        XCTAssertEqual(b.readResponse()?.status, 200)
        XCTAssertTrue(b.isClosedByPeer(), "HTTP/1.0 without keep-alive closes")

        let k = try RawClient(port: server.port)
        k.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(k.readResponse()?.status, 200)
        k.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(k.readResponse()?.status, 200, "HTTP/1.0 keep-alive stays open")
    }

    func testUnknownPathIsJSON404AndWrongMethodIs405WithAllow() throws {
        let c = try RawClient(port: server.port)
        c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\nDELETE /users/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        let rs = c.readResponses(2)
        XCTAssertEqual(rs.first?.status, 404)
        XCTAssertEqual(rs.first?.body, "{\"error\":{\"code\":\"not_found\",\"message\":\"no route for this path\"}}")
        XCTAssertEqual(rs.last?.status, 405)
        XCTAssertEqual(rs.last?.header("allow"), "GET, HEAD")
        XCTAssertTrue(rs.last?.body.contains("method_not_allowed") ?? false)
    }

    func testHeadOmitsBodyButKeepsLength() throws {
        let c = try RawClient(port: server.port)
        c.send("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /users/7 HTTP/1.1\r\nHost: x\r\n\r\n")
        // The HEAD response has Content-Length 15 and no body: read raw to check framing.
        var data = [UInt8]()
        while let chunk = c.readSome() {
            data += chunk
            if String(decoding: data, as: UTF8.self).contains("{\"id\":7}") { break }
        }
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        XCTAssertTrue(text.contains("Content-Length: 15\r\n"))
        XCTAssertFalse(text.contains("status"), "HEAD must not carry the body")
        XCTAssertTrue(text.hasSuffix("{\"id\":7}"))
    }

    func testChunkedBodyAndExpectContinue() throws {
        let c = try RawClient(port: server.port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.body, "hello world")

        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.status, 100)
        c.send("ping")
        XCTAssertEqual(c.readResponse()?.body, "ping")
    }

    func testMalformedRequestGets400AndClose() throws {
        let cases = [
            "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
        ]
        for raw in cases {
            let c = try RawClient(port: server.port)
            c.send(raw + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = c.readResponse()
            XCTAssertEqual(r?.status, 400, raw)
            XCTAssertEqual(r?.header("connection"), "close", raw)
            XCTAssertTrue(r?.body.contains("\"invalid_request\"") ?? false, raw)
            XCTAssertTrue(c.isClosedByPeer(), "closed after a malformed request: \(raw)")
        }
    }

    func testLimits() throws {
        let longLine = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n"
        let manyHeaders = "GET / HTTP/1.1\r\nHost: x\r\n" + (0..<101).map { "X-H\($0): v\r\n" }.joined() + "\r\n"
        let bigHeaders = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 17000) + "\r\n\r\n"
        let bigBody = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n"
        let bigChunked = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n" + String(repeating: "z", count: 65537) + "\r\n0\r\n\r\n"
        for (raw, status) in [(longLine, 414), (manyHeaders, 431), (bigHeaders, 431), (bigBody, 413), (bigChunked, 413)] {
            let c = try RawClient(port: server.port)
            c.send(raw)
            let r = c.readResponse()
            XCTAssertEqual(r?.status, status)
            XCTAssertTrue(c.isClosedByPeer())
        }
        // Exactly at the body limit is fine.
        let c = try RawClient(port: server.port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n" + String(repeating: "k", count: 65536))
        XCTAssertEqual(c.readResponse()?.body.count, 65536)
    }

    func testBytesArrivingOneAtATime() throws {
        let c = try RawClient(port: server.port)
        for b in "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc".utf8 {
            c.send([b])
            server.settle()   // read by the server before the next byte is sent
        }
        XCTAssertEqual(c.readResponse()?.body, "abc")
    }
}
