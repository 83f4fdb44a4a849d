import Reactor
import XCTest
@testable import HTTP1

/// The framing both clients read responses with, fed one byte at a time as a socket might
/// deliver them: every case must give the same answer however the bytes are split.
final class ResponseReaderTests: XCTestCase {
    struct Outcome: Equatable {
        var status: UInt16
        var body: String
        var reusable: Bool
    }

    enum Answer: Equatable {
        case response(Outcome)
        case stopped(ResponseReader.Progress)
    }

    /// Feeds `raw` a byte at a time, then EOF if `close`; the first answer that is not `.incomplete`.
    func read(_ raw: String, close: Bool = false, head: Bool = false, maxBody: Int = 1024) -> Answer {
        var limits = HTTPLimits()
        limits.maxBody = maxBody
        var reader = ResponseReader(limits: limits)
        let buffer = IOBuffer(capacity: 16)
        func finish(_ p: ResponseReader.Progress) -> Answer? {
            switch p {
            case .incomplete: return nil
            case .complete(let body, _, let reusable):
                let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer.readable)[body])
                return .response(Outcome(status: reader.head.status, body: String(decoding: bytes, as: UTF8.self), reusable: reusable))
            default: return .stopped(p)
            }
        }
        for byte in Array(raw.utf8) {
            buffer.append(byte: byte)
            if let r = finish(reader.advance(buffer, eof: false, requestWasHEAD: head)) { return r }
        }
        if close, let r = finish(reader.advance(buffer, eof: true, requestWasHEAD: head)) { return r }
        return .stopped(.incomplete)
    }

    func testFramings() {
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
                       .response(Outcome(status: 200, body: "hello", reusable: true)))
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n"),
                       .response(Outcome(status: 200, body: "abcde", reusable: true)))
        XCTAssertEqual(read("HTTP/1.1 204 No Content\r\n\r\n"), .response(Outcome(status: 204, body: "", reusable: true)))
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", head: true),
                       .response(Outcome(status: 200, body: "", reusable: true)), "no body after a HEAD")
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\n\r\nuntil close", close: true),
                       .response(Outcome(status: 200, body: "until close", reusable: false)))
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"),
                       .response(Outcome(status: 200, body: "ok", reusable: false)))
    }

    func testInterimResponsesAreSkipped() {
        XCTAssertEqual(read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx"),
                       .response(Outcome(status: 201, body: "x", reusable: true)))
    }

    func testBytesAfterTheResponseMakeTheConnectionUnusable() {
        // Read whole, not byte by byte: the extra bytes must be in the buffer with the response.
        var reader = ResponseReader(limits: HTTPLimits())
        let buffer = IOBuffer(capacity: 64)
        buffer.append("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n")
        guard case .complete(let body, let consumed, let reusable) = reader.advance(buffer, eof: false, requestWasHEAD: false) else {
            return XCTFail("incomplete")
        }
        XCTAssertEqual(body.count, 2)
        XCTAssertEqual(consumed, 40)
        XCTAssertFalse(reusable)
    }

    func testEarlyCloseAndLimits() {
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", close: true), .stopped(.closedEarly))
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", close: true), .stopped(.closedEarly))
        XCTAssertEqual(read("HTTP/1.1 200", close: true), .stopped(.closedEarly))
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", maxBody: 10), .stopped(.invalid(.bodyTooLarge)))
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\n\r\n0123456789A", maxBody: 10), .stopped(.invalid(.bodyTooLarge)))
        XCTAssertEqual(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nB\r\n", maxBody: 10), .stopped(.invalid(.bodyTooLarge)))
        guard case .stopped(.invalid) = read("HTTX/1.1 200 OK\r\n\r\n") else { return XCTFail("a bad status line is accepted") }
    }

    func testResetReadsTheNextResponse() {
        var reader = ResponseReader(limits: HTTPLimits())
        let buffer = IOBuffer(capacity: 64)
        for (i, text) in ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
                          "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb"].enumerated() {
            buffer.clear()
            reader.reset()
            buffer.append(text)
            guard case .complete(let body, _, true) = reader.advance(buffer, eof: false, requestWasHEAD: false) else {
                return XCTFail("response \(i)")
            }
            XCTAssertEqual(reader.head.status, i == 0 ? 200 : 404)
            XCTAssertEqual(body.count, 1)
        }
    }
}
