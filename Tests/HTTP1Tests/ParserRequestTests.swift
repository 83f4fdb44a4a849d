import XCTest
@testable import HTTP1

final class ParserRequestTests: XCTestCase {
    func testCorpusSizeAndNames() {
        let all = RequestCorpus.all
        XCTAssertGreaterThanOrEqual(all.count, 150)
        XCTAssertEqual(Set(all.map(\.name)).count, all.count, "case names must be unique")
    }

    /// Every error a request can produce is exercised by at least one case.
    func testCorpusCoversEveryRequestError() {
        var seen = Set<UInt8>()
        for c in RequestCorpus.all {
            switch c.outcome {
            case .fail(let code): seen.insert(code.rawValue)
            case .ok(let e): if let code = e.bodyError { seen.insert(code.rawValue) }
            }
        }
        let responseOnly: Set<ParseErrorCode> = [.badStatusLine, .badStatus]
        for raw in 0...UInt8.max {
            guard let code = ParseErrorCode(rawValue: raw), !responseOnly.contains(code) else { continue }
            XCTAssertTrue(seen.contains(raw), "no request case for \(code)")
        }
    }

    func testRequestLineCorpus() { RequestCorpus.requestLine.forEach(RequestHarness.verify) }
    func testTargetCorpus() { RequestCorpus.targets.forEach(RequestHarness.verify) }
    func testFieldCorpus() { RequestCorpus.fields.forEach(RequestHarness.verify) }
    func testFramingCorpus() { RequestCorpus.framing.forEach(RequestHarness.verify) }
    func testChunkedCorpus() { RequestCorpus.chunked.forEach(RequestHarness.verify) }
    func testLimitCorpus() { RequestCorpus.limitCases.forEach(RequestHarness.verify) }

    // MARK: default limits

    private func parseOnce(_ raw: [UInt8], limits: HTTPLimits = HTTPLimits()) -> (ParseStatus, RequestHead) {
        var parser = RequestParser(limits: limits)
        var head = RequestHead()
        let status = parseRequest(raw, &parser, &head, HeaderTable(capacity: limits.maxHeaderCount))
        return (status, head)
    }

    /// Prefix at a few splits, then the whole: all must agree with `want`.
    private func assertSplits(_ raw: [UInt8], _ want: ParseStatus, file: StaticString = #filePath, line: UInt = #line) {
        for k in Array(stride(from: 0, to: raw.count, by: 997)) + [raw.count - 1] {
            var parser = RequestParser()
            var head = RequestHead()
            let table = HeaderTable(capacity: 100)
            let first = parseRequest(Array(raw[0..<k]), &parser, &head, table)
            XCTAssertTrue(first == .incomplete || (first == want && want != .complete), "split \(k): \(first)", file: file, line: line)
            XCTAssertEqual(parseRequest(raw, &parser, &head, table), want, "split \(k)", file: file, line: line)
        }
    }

    func testDefaultMaxRequestLine() {
        let fits = bytes(RequestCorpus.requestLine(length: 8192) + "Host: a\r\n\r\n")
        XCTAssertEqual(parseOnce(fits).0, .complete)
        assertSplits(fits, .complete)
        let over = bytes(RequestCorpus.requestLine(length: 8193) + "Host: a\r\n\r\n")
        XCTAssertEqual(parseOnce(over).0, .error(ParseError(.requestLineTooLong)))
        assertSplits(over, .error(ParseError(.requestLineTooLong)))
        XCTAssertEqual(ParseError(.requestLineTooLong).status, 414)
        // Unfinished: 8192 bytes without a line end are already too long.
        XCTAssertEqual(parseOnce(Array(over[0..<8192])).0, .error(ParseError(.requestLineTooLong)))
        XCTAssertEqual(parseOnce(Array(over[0..<8191])).0, .incomplete)
    }

    func testDefaultMaxHeaderBytes() {
        let prefix = "GET / HTTP/1.1\r\nHost: a\r\nX: "
        let fill = 16384 - prefix.utf8.count - 4
        let fits = bytes(prefix + String(repeating: "v", count: fill) + "\r\n\r\n")
        XCTAssertEqual(fits.count, 16384)
        XCTAssertEqual(parseOnce(fits).0, .complete)
        assertSplits(fits, .complete)
        let over = bytes(prefix + String(repeating: "v", count: fill + 1) + "\r\n\r\n")
        XCTAssertEqual(parseOnce(over).0, .error(ParseError(.headersTooLarge)))
        assertSplits(over, .error(ParseError(.headersTooLarge)))
        XCTAssertEqual(parseOnce(Array(over[0..<16384])).0, .error(ParseError(.headersTooLarge)))
        XCTAssertEqual(parseOnce(Array(over[0..<16383])).0, .incomplete)
    }

    func testDefaultMaxHeaderCount() {
        let hundred = "GET / HTTP/1.1\r\nHost: a\r\n" + (1..<100).map { "X\($0): v\r\n" }.joined()
        var parser = RequestParser()
        var head = RequestHead()
        let table = HeaderTable(capacity: 100)
        XCTAssertEqual(parseRequest(bytes(hundred + "\r\n"), &parser, &head, table), .complete)
        XCTAssertEqual(table.count, 100)
        XCTAssertEqual(parseOnce(bytes(hundred + "Y: 1\r\n\r\n")).0, .error(ParseError(.tooManyHeaders)))
        XCTAssertEqual(ParseError(.tooManyHeaders).status, 431)
    }

    /// A table smaller than maxHeaderCount caps the count too, without trapping.
    func testSmallTableCapsFieldCount() {
        var parser = RequestParser()
        var head = RequestHead()
        let table = HeaderTable(capacity: 1)
        XCTAssertEqual(parseRequest(bytes("GET / HTTP/1.1\r\nHost: a\r\nB: c\r\n\r\n"), &parser, &head, table),
                       .error(ParseError(.tooManyHeaders)))
    }

    // MARK: pipelining and reuse

    func testPipelinedRequestsInOneBuffer() {
        let raw = bytes(
            "GET /a HTTP/1.1\r\nHost: h\r\n\r\n" +
            "POST /b?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" +
            "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;e=1\r\nde\r\n0\r\nT: 1\r\n\r\n" +
            "DELETE /d HTTP/1.0\r\n\r\n")
        var buffer = raw
        var parser = RequestParser()
        let table = HeaderTable(capacity: 100)
        var offset = 0
        var seen: [(HTTPMethod, String, String)] = []
        buffer.withUnsafeMutableBytes { all in
            while offset < all.count {
                let view = UnsafeMutableRawBufferPointer(rebasing: all[offset...])
                var head = RequestHead()
                guard parser.parseHead(UnsafeRawBufferPointer(view), head: &head, headers: table) == .complete else {
                    return XCTFail("head at \(offset) did not parse")
                }
                let headBytes = Array(UnsafeRawBufferPointer(view)[0..<head.headLength])
                var body = ""
                var used = head.headLength
                if head.chunked {
                    var decoder = ChunkedDecoder(maxBody: 1024)
                    let rest = UnsafeMutableRawBufferPointer(rebasing: view[head.headLength...])
                    XCTAssertEqual(decoder.decode(rest), .complete)
                    body = String(decoding: rest[0..<decoder.decodedCount], as: UTF8.self)
                    used += decoder.consumed
                } else if head.contentLength > 0 {
                    body = String(decoding: view[used..<(used + Int(head.contentLength))], as: UTF8.self)
                    used += Int(head.contentLength)
                }
                seen.append((head.method, text(head.path, headBytes) ?? "?", body))
                offset += used
            }
        }
        XCTAssertEqual(offset, raw.count)
        XCTAssertEqual(seen.map(\.0), [.GET, .POST, .PUT, .DELETE])
        XCTAssertEqual(seen.map(\.1), ["/a", "/b", "/c", "/d"])
        XCTAssertEqual(seen.map(\.2), ["", "hello", "abcde", ""])
        XCTAssertEqual(table.count, 0, "the last request (HTTP/1.0) has no fields, so the reused table is empty")
    }

    func testTableIsReusedWithoutGrowing() {
        var parser = RequestParser()
        var head = RequestHead()
        let table = HeaderTable(capacity: 100)
        XCTAssertEqual(parseRequest(bytes("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n"), &parser, &head, table), .complete)
        XCTAssertEqual(table.count, 3)
        let second = bytes("GET / HTTP/1.1\r\nHost: b\r\n\r\n")
        XCTAssertEqual(parseRequest(second, &parser, &head, table), .complete)
        XCTAssertEqual(table.count, 1)
        XCTAssertEqual(text(head.host, second), "b")
        XCTAssertEqual(table.capacity, 100)
    }

    func testSwitchingTablesMidHeadStartsOver() {
        let raw = bytes("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n")
        var parser = RequestParser()
        var head = RequestHead()
        let first = HeaderTable(capacity: 10)
        XCTAssertEqual(parseRequest(Array(raw[0..<30]), &parser, &head, first), .incomplete)
        XCTAssertEqual(first.count, 1)
        let second = HeaderTable(capacity: 10)
        XCTAssertEqual(parseRequest(raw, &parser, &head, second), .complete)
        XCTAssertEqual(second.count, 3)
        XCTAssertEqual(text(second[0].name, raw), "Host")
    }

    func testClearingTheTableMidHeadStartsOver() {
        let raw = bytes("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n")
        var parser = RequestParser()
        var head = RequestHead()
        let table = HeaderTable(capacity: 10)
        XCTAssertEqual(parseRequest(Array(raw[0..<30]), &parser, &head, table), .incomplete)
        table.removeAll()
        XCTAssertEqual(parseRequest(raw, &parser, &head, table), .complete)
        XCTAssertEqual(table.count, 3)
    }

    func testResetDropsPartialHead() {
        var parser = RequestParser()
        var head = RequestHead()
        let table = HeaderTable(capacity: 10)
        XCTAssertEqual(parseRequest(bytes("POST /old HTTP/1.1\r\nHost: old\r\nX-"), &parser, &head, table), .incomplete)
        parser.reset()
        let raw = bytes("GET /new HTTP/1.1\r\nHost: new\r\n\r\n")
        XCTAssertEqual(parseRequest(raw, &parser, &head, table), .complete)
        XCTAssertEqual(head.method, .GET)
        XCTAssertEqual(text(head.path, raw), "/new")
        XCTAssertEqual(table.count, 1)
    }

    func testShorterBufferStartsOver() {
        var parser = RequestParser()
        var head = RequestHead()
        let table = HeaderTable(capacity: 10)
        XCTAssertEqual(parseRequest(bytes("GET /long/path/here HTTP/1.1\r\nHost: a\r\nX: y"), &parser, &head, table), .incomplete)
        let raw = bytes("GET / HTTP/1.1\r\n")
        XCTAssertEqual(parseRequest(raw, &parser, &head, table), .incomplete)
        XCTAssertEqual(parseRequest(raw + bytes("Host: z\r\n\r\n"), &parser, &head, table), .complete)
        XCTAssertEqual(text(head.host, raw + bytes("Host: z\r\n\r\n")), "z")
    }

    func testHeadIsOnlyWrittenOnCompletion() {
        var parser = RequestParser()
        var head = RequestHead()
        head.headLength = 12345
        let table = HeaderTable(capacity: 10)
        XCTAssertEqual(parseRequest(bytes("GET / HTTP/1.1\r\nHo"), &parser, &head, table), .incomplete)
        XCTAssertEqual(head.headLength, 12345)
        XCTAssertEqual(parseRequest(bytes("GET / HTTP/1.1\r\nHo: x\r\n\r\n"), &parser, &head, table), .error(ParseError(.missingHost)))
        XCTAssertEqual(head.headLength, 12345)
    }

    func testParserContinuesAfterErrorWithNextMessage() {
        var parser = RequestParser()
        var head = RequestHead()
        let table = HeaderTable(capacity: 10)
        XCTAssertEqual(parseRequest(bytes("GET / HTTP/9.9\r\n"), &parser, &head, table), .error(ParseError(.badVersion)))
        XCTAssertEqual(parseRequest(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), &parser, &head, table), .complete)
    }

    func testEmptyBufferIsIncomplete() {
        var parser = RequestParser()
        var head = RequestHead()
        XCTAssertEqual(parseRequest([], &parser, &head, HeaderTable(capacity: 1)), .incomplete)
    }

    /// A long field arriving one byte per read: every call resumes inside the line (LineCursor).
    func testLongFieldArrivingByteByByte() {
        let raw = bytes("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 12000) + "\r\n\r\n")
        var parser = RequestParser()
        var head = RequestHead()
        let table = HeaderTable(capacity: 10)
        raw.withUnsafeBytes { all in
            for n in 0..<all.count {
                XCTAssertEqual(parser.parseHead(UnsafeRawBufferPointer(rebasing: all[0..<n]), head: &head, headers: table), .incomplete)
            }
            XCTAssertEqual(parser.parseHead(all, head: &head, headers: table), .complete)
        }
        XCTAssertEqual(table[1].value.count, 12000)
    }
}
