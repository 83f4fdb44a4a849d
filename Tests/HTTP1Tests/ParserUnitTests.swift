import XCTest
@testable import HTTP1

final class ParserUnitTests: XCTestCase {
    /// The lookup table against the RFC grammar written out independently.
    func testByteClassesMatchTheGrammar() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let hex = Set("0123456789abcdefABCDEF".utf8)
        let hostChars = Set("-._~!$&'()*+,;=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let t = ByteClass.table
        for b in 0...255 {
            let c = t[b]
            let byte = UInt8(b)
            XCTAssertEqual(c & ByteClass.token != 0, tchar.contains(byte), "token \(b)")
            XCTAssertEqual(c & ByteClass.fieldValue != 0, b == 9 || (b >= 32 && b != 127), "fieldValue \(b)")
            XCTAssertEqual(c & ByteClass.target != 0, b > 32 && b < 127 && b != 35, "target \(b)")
            XCTAssertEqual(c & ByteClass.hexDigit != 0, hex.contains(byte), "hex \(b)")
            XCTAssertEqual(c & ByteClass.host != 0, hostChars.contains(byte), "host \(b)")
        }
    }

    func testErrorStatusAndMessage() {
        var codes: [ParseErrorCode] = []
        for raw in 0...UInt8.max { if let c = ParseErrorCode(rawValue: raw) { codes.append(c) } }
        XCTAssertEqual(codes.count, 25)
        for code in codes {
            let e = ParseError(code)
            let expected: UInt16
            switch code {
            case .requestLineTooLong: expected = 414
            case .headersTooLarge, .tooManyHeaders: expected = 431
            case .bodyTooLarge: expected = 413
            case .unsupportedTransferEncoding: expected = 501
            default: expected = 400
            }
            XCTAssertEqual(e.status, expected, "\(code)")
            XCTAssertGreaterThan(e.message.utf8CodeUnitCount, 5, "\(code)")
        }
        XCTAssertEqual(ParseError(.requestLineTooLong).message.description, "request line too long")
        let messages = Set(codes.map { ParseError($0).message.description })
        XCTAssertEqual(messages.count, codes.count, "messages are distinct")
    }

    func testHeaderTableFind() {
        let raw = bytes("GET / HTTP/1.1\r\nHost: a\r\nContent-TYPE: text/plain\r\nX-A^: 1\r\nx-a~: 2\r\nAccept: */*\r\n\r\n")
        var parser = RequestParser()
        var head = RequestHead()
        let table = HeaderTable(capacity: 10)
        XCTAssertEqual(parseRequest(raw, &parser, &head, table), .complete)
        raw.withUnsafeBytes { buf in
            XCTAssertEqual(table.find("content-type", in: buf).flatMap { text($0, raw) }, "text/plain")
            XCTAssertEqual(table.find("host", in: buf).flatMap { text($0, raw) }, "a")
            XCTAssertEqual(table.find("x-a~", in: buf).flatMap { text($0, raw) }, "2", "'^' must not fold to '~'")
            XCTAssertNil(table.find("content-length", in: buf))
            XCTAssertNil(table.find("accep", in: buf))
            XCTAssertEqual(table.find("accept", in: buf).map { $0.equals("*/*", in: buf) }, true)
            XCTAssertEqual(table.find("content-type", in: buf).map { $0.equalsIgnoringCase("text/plain", in: buf) }, true)
        }
        table.removeAll()
        XCTAssertEqual(table.count, 0)
        raw.withUnsafeBytes { XCTAssertNil(table.find("host", in: $0)) }
    }

    func testByteRangeHelpers() {
        let s = ByteRange(start: 2, count: 3)
        XCTAssertEqual(s.end, 5)
        XCTAssertEqual(s.range, 2..<5)
        XCTAssertFalse(s.isEmpty)
        XCTAssertTrue(ByteRange.empty.isEmpty)
        let raw = bytes("abHeLlo")
        raw.withUnsafeBytes { buf in
            XCTAssertTrue(s.equalsIgnoringCase("hel", in: buf))
            XCTAssertFalse(s.equals("hel", in: buf))
            XCTAssertTrue(s.equals("HeL", in: buf))
            XCTAssertEqual(Array(s.bytes(in: buf)), Array("HeL".utf8))
        }
        // Only A-Z fold: '^' (0x5E) and '~' (0x7E), '@' and '`' differ by the same bit as a case.
        let tokens = bytes("x^@")
        tokens.withUnsafeBytes { buf in
            XCTAssertFalse(ByteRange(start: 0, count: 3).equalsIgnoringCase("x~`", in: buf))
            XCTAssertTrue(ByteRange(start: 0, count: 3).equalsIgnoringCase("x^@", in: buf))
        }
    }

    func testRequestHeadDefaults() {
        let h = RequestHead()
        XCTAssertEqual(h.contentLength, -1)
        XCTAssertEqual(h.host, .empty)
        XCTAssertEqual(h.query, .empty)
        XCTAssertFalse(h.chunked)
        let r = ResponseHead()
        XCTAssertEqual(r.contentLength, -1)
    }

    // MARK: ChunkedDecoder directly

    func testChunkedDecoderIsIdempotentAfterCompletion() {
        var buffer = bytes("3\r\nabc\r\n0\r\n\r\nXYZ")
        var d = ChunkedDecoder(maxBody: 100)
        buffer.withUnsafeMutableBytes { buf in
            XCTAssertEqual(d.decode(buf), .complete)
            XCTAssertEqual(d.decode(buf), .complete)
        }
        XCTAssertEqual(d.decodedCount, 3)
        XCTAssertEqual(d.consumed, 13)
        XCTAssertEqual(Array(buffer[0..<3]), Array("abc".utf8))
        XCTAssertEqual(Array(buffer[13...]), Array("XYZ".utf8), "bytes after the body are untouched")
    }

    func testChunkedDecoderStaysFailedUntilReset() {
        var bad = bytes("zz\r\n")
        var d = ChunkedDecoder(maxBody: 100)
        bad.withUnsafeMutableBytes { XCTAssertEqual(d.decode($0), .error(ParseError(.badChunkSize))) }
        var good = bytes("1\r\na\r\n0\r\n\r\n")
        good.withUnsafeMutableBytes { XCTAssertEqual(d.decode($0), .error(ParseError(.badChunkSize))) }
        d.reset()
        good.withUnsafeMutableBytes { XCTAssertEqual(d.decode($0), .complete) }
        XCTAssertEqual(d.decodedCount, 1)
    }

    func testChunkedTrailerLimit() {
        let trailer = "0\r\n" + String(repeating: "T: 1234567890\r\n", count: 10) + "\r\n"
        XCTAssertEqual(ChunkedHarness.run(bytes(trailer), maxBody: 10, feeds: [trailer.utf8.count]).status, .complete)
        var d = ChunkedDecoder(maxBody: 10, maxTrailerBytes: 100)
        var raw = bytes(trailer)
        raw.withUnsafeMutableBytes { XCTAssertEqual(d.decode($0), .error(ParseError(.headersTooLarge))) }
    }

    func testChunkedLargeBodyInPlace() {
        var input: [UInt8] = []
        var expected: [UInt8] = []
        for i in 0..<200 {
            let chunk = (0..<(i % 37 + 1)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
            input += Array(String(chunk.count, radix: 16).utf8) + [13, 10] + chunk + [13, 10]
            expected += chunk
        }
        input += Array("0\r\n\r\n".utf8)
        for feeds in [[input.count], Array(stride(from: 0, through: input.count, by: 7)) + [input.count]] {
            let r = ChunkedHarness.run(input, maxBody: 1 << 20, feeds: feeds)
            XCTAssertEqual(r.status, .complete)
            XCTAssertEqual(r.body, expected)
            XCTAssertEqual(r.consumed, input.count)
            XCTAssertTrue(r.invariantHeld)
        }
    }

    func testExpectedStatusFromParseErrorsInResponses() {
        var p = ResponseParser()
        var head = ResponseHead()
        let t = HeaderTable(capacity: 4)
        XCTAssertEqual(parseResponse(bytes("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n"), &p, &head, t),
                       .error(ParseError(.tooManyHeaders)))
    }
}
