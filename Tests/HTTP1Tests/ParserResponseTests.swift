import XCTest
@testable import HTTP1

struct ResponseExpect {
    var status: UInt16?
    var reason: String?
    var version: UInt8?
    var contentLength: Int64?
    var chunked: Bool?
    var keepAlive: Bool?
    var headers: [(String, String)]?
    var framing: ResponseFraming?
    var framingForHEAD: ResponseFraming? = ResponseFraming.none
    var body: String?
}

typealias ResponseCase = ParserCase<ResponseExpect>

private func ok(_ name: String, _ raw: String, line: UInt = #line, _ configure: (inout ResponseExpect) -> Void) -> ResponseCase {
    var e = ResponseExpect()
    configure(&e)
    return ResponseCase(name: name, bytes: bytes(raw), limits: HTTPLimits(), outcome: .ok(e), file: #filePath, line: line)
}

private func bad(_ name: String, _ raw: String, _ code: ParseErrorCode, line: UInt = #line) -> ResponseCase {
    ResponseCase(name: name, bytes: bytes(raw), limits: HTTPLimits(), outcome: .fail(code), file: #filePath, line: line)
}

enum ResponseCorpus {
    static let all: [ResponseCase] = [
        ok("200 with Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello") {
            $0.status = 200; $0.reason = "OK"; $0.version = 1; $0.contentLength = 5; $0.chunked = false
            $0.keepAlive = true; $0.framing = .contentLength(5); $0.body = "hello"
        },
        ok("rfc9110 example response", "HTTP/1.1 200 OK\r\nDate: Mon, 27 Jul 2009 12:28:53 GMT\r\nServer: Apache\r\nLast-Modified: Wed, 22 Jul 2009 19:15:56 GMT\r\nETag: \"34aa387-d-1568eb00\"\r\nAccept-Ranges: bytes\r\nContent-Length: 51\r\nVary: Accept-Encoding\r\nContent-Type: text/plain\r\n\r\nHello World! My content includes a trailing CRLF.\r\n") {
            $0.status = 200; $0.contentLength = 51; $0.framing = .contentLength(51)
            $0.body = "Hello World! My content includes a trailing CRLF.\r\n"
            $0.headers = [("Date", "Mon, 27 Jul 2009 12:28:53 GMT"), ("Server", "Apache"),
                          ("Last-Modified", "Wed, 22 Jul 2009 19:15:56 GMT"), ("ETag", "\"34aa387-d-1568eb00\""),
                          ("Accept-Ranges", "bytes"), ("Content-Length", "51"), ("Vary", "Accept-Encoding"),
                          ("Content-Type", "text/plain")]
        },
        ok("missing SP before empty reason is accepted", "HTTP/1.1 200\r\n\r\n") {
            $0.status = 200; $0.reason = ""; $0.framing = .untilClose
        },
        ok("empty reason after SP", "HTTP/1.1 200 \r\n\r\n") { $0.reason = "" },
        ok("reason with spaces", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n") {
            $0.status = 404; $0.reason = "Not Found"; $0.framing = .contentLength(0)
        },
        ok("reason with obs-text and HTAB", "HTTP/1.1 200 \u{e9}t\u{e9}\tok\r\n\r\n") { $0.reason = "\u{e9}t\u{e9}\tok" },
        ok("1.0 response closes", "HTTP/1.0 200 OK\r\n\r\n") { $0.version = 0; $0.keepAlive = false; $0.framing = .untilClose },
        ok("1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n") { $0.keepAlive = true },
        ok("1.1 close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n") { $0.keepAlive = false },
        ok("204 has no body", "HTTP/1.1 204 No Content\r\n\r\n") { $0.status = 204; $0.framing = ResponseFraming.none },
        ok("304 ignores Content-Length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n") {
            $0.contentLength = 99; $0.framing = ResponseFraming.none
        },
        ok("100 Continue", "HTTP/1.1 100 Continue\r\n\r\n") { $0.status = 100; $0.framing = ResponseFraming.none },
        ok("101 Switching Protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n") {
            $0.status = 101; $0.framing = ResponseFraming.none; $0.keepAlive = true
        },
        ok("chunked response", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n") {
            $0.chunked = true; $0.contentLength = -1; $0.framing = .chunked; $0.body = "hello"
        },
        ok("1.0 response with chunked closes after it", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n") {
            $0.chunked = true; $0.keepAlive = false; $0.framing = .chunked; $0.body = ""
        },
        ok("Host field is not checked in responses", "HTTP/1.1 200 OK\r\nHost: not a host\r\nHost: twice\r\n\r\n") { $0.status = 200 },
        ok("599 is the highest status", "HTTP/1.1 599 X\r\n\r\n") { $0.status = 599 },
        ok("500 with Content-Length", "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}") {
            $0.status = 500; $0.body = "{}"; $0.framing = .contentLength(2)
        },
        bad("two-digit status", "HTTP/1.1 20 OK\r\n\r\n", .badStatus),
        bad("four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", .badStatus),
        bad("status below 100", "HTTP/1.1 099 X\r\n\r\n", .badStatus),
        bad("status 600", "HTTP/1.1 600 X\r\n\r\n", .badStatus),
        bad("letters as status", "HTTP/1.1 abc OK\r\n\r\n", .badStatus),
        bad("two SP before status", "HTTP/1.1  200 OK\r\n\r\n", .badStatus),
        bad("status glued to reason", "HTTP/1.1 200OK\r\n\r\n", .badStatus),
        bad("HTTP/2", "HTTP/2 200 OK\r\n\r\n", .badVersion),
        bad("lowercase version", "http/1.1 200 OK\r\n\r\n", .badVersion),
        bad("HTTP/1.10", "HTTP/1.10 200 OK\r\n\r\n", .badVersion),
        bad("leading CRLF", "\r\nHTTP/1.1 200 OK\r\n\r\n", .badVersion),
        bad("status line ends after version", "HTTP/1.1\r\n\r\n", .badStatusLine),
        bad("bare LF after reason", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", .badStatusLine),
        bad("bare LF after status", "HTTP/1.1 200\n\r\n", .badStatusLine),
        bad("control byte in reason", "HTTP/1.1 200 O\u{01}K\r\n\r\n", .badStatusLine),
        bad("obs-fold in response", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", .obsFold),
        bad("whitespace before colon in response", "HTTP/1.1 200 OK\r\nA : b\r\n\r\n", .whitespaceBeforeColon),
        bad("Content-Length with Transfer-Encoding in response", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding),
        bad("conflicting Content-Length in response", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", .conflictingContentLength),
        bad("gzip response", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferEncoding),
        bad("chunked not last in response", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .badTransferEncoding),
        bad("bad Content-Length in response", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", .badContentLength),
    ]
}

final class ParserResponseTests: XCTestCase {
    func testCorpus() {
        XCTAssertGreaterThanOrEqual(ResponseCorpus.all.count, 35)
        for c in ResponseCorpus.all {
            do {
                try verify(c)
            } catch let f as Failure {
                failing(c, "", f.message)
            } catch {}
        }
    }

    private func verify(_ c: ResponseCase) throws {
        let headEnd = endOfHead(c.bytes) ?? -1
        var parser = ResponseParser()
        var head = ResponseHead()
        let table = HeaderTable(capacity: 100)
        try check(c, parseResponse(c.bytes, &parser, &head, table), head, table, withBody: true)
        for k in 0..<c.bytes.count {
            var parser = ResponseParser()
            var head = ResponseHead()
            let s1 = parseResponse(Array(c.bytes[0..<k]), &parser, &head, table)
            switch c.outcome {
            case .fail(let code):
                guard s1 == .incomplete || s1 == .error(ParseError(code)) else { throw Failure(message: "split \(k): \(s1)") }
            case .ok:
                guard (k < headEnd) == (s1 == .incomplete) else { throw Failure(message: "split \(k): \(s1), head ends at \(headEnd)") }
            }
            try check(c, parseResponse(c.bytes, &parser, &head, table), head, table, withBody: false)
        }
    }

    private func check(_ c: ResponseCase, _ s: ParseStatus, _ head: ResponseHead, _ table: HeaderTable, withBody: Bool) throws {
        switch c.outcome {
        case .fail(let code):
            guard s == .error(ParseError(code)) else { throw Failure(message: "got \(s), want \(code)") }
        case .ok(let e):
            guard s == .complete else { throw Failure(message: "got \(s), want complete") }
            let b = c.bytes
            try expectEqual(head.headLength, endOfHead(b), "headLength")
            try expectEqual(head.status, e.status, "status")
            try expectEqual(text(head.reason, b), e.reason, "reason")
            try expectEqual(head.versionMinor, e.version, "version")
            try expectEqual(head.contentLength, e.contentLength, "contentLength")
            try expectEqual(head.chunked, e.chunked, "chunked")
            try expectEqual(head.keepAlive, e.keepAlive, "keepAlive")
            try expectEqual(head.framing(requestMethodWasHEAD: false), e.framing, "framing")
            try expectEqual(head.framing(requestMethodWasHEAD: true), e.framingForHEAD, "framing for HEAD")
            if let want = e.headers {
                let got = (0..<table.count).map { (text(table[$0].name, b) ?? "?", text(table[$0].value, b) ?? "?") }
                guard got.count == want.count && zip(got, want).allSatisfy({ $0 == $1 }) else {
                    throw Failure(message: "headers: got \(got), want \(want)")
                }
            }
            guard withBody, let body = e.body else { return }
            let after = Array(b[head.headLength...])
            switch head.framing(requestMethodWasHEAD: false) {
            case .chunked:
                try ChunkedHarness.check(after, maxBody: 1 << 20, body: body, error: nil, rest: 0)
            case .contentLength(let n):
                try expectEqual(String(decoding: after.prefix(Int(n)), as: UTF8.self), body, "body")
                try expectEqual(after.count, Int(n), "bytes after head")
            default:
                throw Failure(message: "body given for a response without framed body")
            }
        }
    }

    func testFramingTable() {
        var h = ResponseHead()
        h.status = 200
        XCTAssertEqual(h.framing(requestMethodWasHEAD: false), .untilClose)
        h.contentLength = 10
        XCTAssertEqual(h.framing(requestMethodWasHEAD: false), .contentLength(10))
        h.chunked = true
        XCTAssertEqual(h.framing(requestMethodWasHEAD: false), .chunked, "chunked wins")
        XCTAssertEqual(h.framing(requestMethodWasHEAD: true), ResponseFraming.none)
        for status: UInt16 in [100, 101, 199, 204, 304] {
            h.status = status
            XCTAssertEqual(h.framing(requestMethodWasHEAD: false), ResponseFraming.none, "\(status)")
        }
        h.status = 205
        XCTAssertEqual(h.framing(requestMethodWasHEAD: false), .chunked)
    }

    func testPipelinedResponses() {
        let raw = bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        var parser = ResponseParser()
        let table = HeaderTable(capacity: 10)
        var offset = 0
        var statuses: [UInt16] = []
        raw.withUnsafeBytes { all in
            while offset < all.count {
                var head = ResponseHead()
                guard parser.parseHead(UnsafeRawBufferPointer(rebasing: all[offset...]), head: &head, headers: table) == .complete else {
                    return XCTFail("response at \(offset)")
                }
                statuses.append(head.status)
                if case .contentLength(let n) = head.framing(requestMethodWasHEAD: false) { offset += Int(n) }
                offset += head.headLength
            }
        }
        XCTAssertEqual(statuses, [200, 204, 404])
        XCTAssertEqual(offset, raw.count)
    }
}
