@testable import HTTP1

/// Message framing: Content-Length, Transfer-Encoding (RFC 9112 6, RFC 9110 8.6) and chunked bodies (RFC 9112 7.1).
extension RequestCorpus {
    static let framing: [RequestCase] = [
        ok("Content-Length body", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello") {
            $0.contentLength = 5; $0.chunked = false; $0.body = "hello"
        },
        ok("Content-Length zero", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n") { $0.contentLength = 0; $0.body = "" },
        ok("Content-Length leading zeros", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\nabcdefg") {
            $0.contentLength = 7; $0.body = "abcdefg"
        },
        ok("Content-Length same value listed twice", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc") {
            $0.contentLength = 3; $0.body = "abc"
        },
        ok("Content-Length same value in two fields", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc") {
            $0.contentLength = 3; $0.body = "abc"
        },
        ok("Content-Length list with OWS", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3 ,3 ,\t3\r\n\r\nabc") { $0.contentLength = 3; $0.body = "abc" },
        ok("Content-Length equal values spelled differently", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 03\r\n\r\nabc") {
            $0.contentLength = 3; $0.body = "abc"
        },
        ok("Content-Length at maxBody", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd", limits: limits(body: 4)) {
            $0.contentLength = 4; $0.body = "abcd"
        },
        ok("Content-Length default maxBody", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\n\r\n") {
            $0.contentLength = 65536
        }.withoutBodyCheck,
        bad("Content-Length over default maxBody", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n", .bodyTooLarge),
        bad("Content-Length over custom maxBody", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde", .bodyTooLarge, limits: limits(body: 4)),
        bad("Content-Length Int64.max", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n", .bodyTooLarge),
        bad("Content-Length overflows Int64", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", .badContentLength),
        bad("Content-Length 30 digits", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 123456789012345678901234567890\r\n\r\n", .badContentLength),
        bad("Content-Length negative", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .badContentLength),
        bad("Content-Length with plus", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", .badContentLength),
        bad("Content-Length hex", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", .badContentLength),
        bad("Content-Length SP inside", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", .badContentLength),
        bad("Content-Length empty", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", .badContentLength),
        bad("Content-Length trailing comma", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3,\r\n\r\n", .badContentLength),
        bad("Content-Length empty element", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3,,3\r\n\r\n", .badContentLength),
        bad("Content-Length letters", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", .badContentLength),
        bad("Content-Length decimal", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3.0\r\n\r\n", .badContentLength),
        bad("Content-Length differing list", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n", .conflictingContentLength),
        bad("Content-Length differing fields", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", .conflictingContentLength),
        bad("Content-Length and Transfer-Encoding", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding),
        bad("Transfer-Encoding and Content-Length", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", .contentLengthWithTransferEncoding),
        bad("Content-Length with unknown coding", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n", .contentLengthWithTransferEncoding),
        // Transfer-Encoding
        ok("chunked", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n") {
            $0.chunked = true; $0.contentLength = -1; $0.body = "hello"
        },
        ok("chunked is case-insensitive", "POST /p HTTP/1.1\r\nHost: a\r\ntransfer-encoding: ChUnKeD\r\n\r\n0\r\n\r\n") { $0.chunked = true; $0.body = "" },
        ok("chunked with empty list elements", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked ,\r\n\r\n0\r\n\r\n") { $0.chunked = true; $0.body = "" },
        bad("gzip, chunked is not implemented", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferEncoding),
        bad("gzip then chunked in two fields", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", .unsupportedTransferEncoding),
        bad("coding with parameters", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;level=9, chunked\r\n\r\n", .unsupportedTransferEncoding),
        bad("quoted parameter with comma", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo;a=\"x,y\", chunked\r\n\r\n", .unsupportedTransferEncoding),
        bad("unknown coding alone", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n", .unsupportedTransferEncoding),
        bad("gzip alone", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", .unsupportedTransferEncoding),
        bad("chunked, gzip", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .badTransferEncoding),
        bad("chunked, chunked", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .badTransferEncoding),
        bad("chunked in two fields", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .badTransferEncoding),
        bad("empty Transfer-Encoding", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", .badTransferEncoding),
        bad("Transfer-Encoding of commas only", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , ,\r\n\r\n", .badTransferEncoding),
        bad("Transfer-Encoding in HTTP/1.0", "POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .badTransferEncoding),
        bad("chunked with a parameter", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", .badTransferEncoding),
        bad("parameter without name", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;, chunked\r\n\r\n", .badTransferEncoding),
        bad("parameter without value", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;a, chunked\r\n\r\n", .badTransferEncoding),
        bad("coding names separated by SP", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip chunked\r\n\r\n", .badTransferEncoding),
        bad("coding with '/'", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x/y\r\n\r\n", .badTransferEncoding),
        bad("unterminated quoted parameter", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo;a=\"x, chunked\r\n\r\n", .badTransferEncoding),
    ]

    static let chunkedHead = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

    static func chunkedCase(_ name: String, _ body: String, limits: HTTPLimits = HTTPLimits(), line: UInt = #line,
                            _ configure: (inout RequestExpect) -> Void) -> RequestCase {
        ok(name, chunkedHead + body, limits: limits, line: line) {
            $0.chunked = true
            $0.headLength = 62
            configure(&$0)
        }
    }

    static let chunked: [RequestCase] = [
        chunkedCase("chunked example with extension and trailers",
                    "4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\nX-Checksum: abc\r\n\r\n") {
            $0.body = "Wikipedia in\r\n\r\nchunks."
        },
        chunkedCase("empty chunked body", "0\r\n\r\n") { $0.body = "" },
        chunkedCase("uppercase and lowercase hex", "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n") { $0.body = "0123456789abcdefghijk" },
        chunkedCase("leading zeros in size", "0005\r\nhello\r\n000\r\n\r\n") { $0.body = "hello" },
        chunkedCase("16 hex digits", "0000000000000005\r\nhello\r\n0\r\n\r\n") { $0.body = "hello" },
        chunkedCase("extension with quoted-string", "5;name=\"va;l\\\"ue\"\r\nhello\r\n0\r\n\r\n") { $0.body = "hello" },
        chunkedCase("extensions with BWS", "5 ; a = b ;c\t;\td=\"\"\r\nhello\r\n0;last\r\n\r\n") { $0.body = "hello" },
        chunkedCase("extension without value", "5;flag\r\nhello\r\n0\r\n\r\n") { $0.body = "hello" },
        chunkedCase("many one-byte chunks", "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n") { $0.body = "abc" },
        chunkedCase("chunk data holding CRLF", "4\r\n\r\n\r\n\r\n0\r\n\r\n") { $0.body = "\r\n\r\n" },
        chunkedCase("trailer fields", "3\r\nabc\r\n0\r\nExpires: x\r\nX-Sum:1\r\n\r\n") { $0.body = "abc" },
        chunkedCase("pipelined request after chunked body", "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n") { $0.body = "abc"; $0.rest = 16 },
        chunkedCase("body at maxBody", "4\r\nabcd\r\n0\r\n\r\n", limits: limits(body: 4)) { $0.body = "abcd" },
        chunkedCase("framing at its cap", "1;abc\r\na\r\n0\r\n\r\n", limits: limits(framing: 12)) { $0.body = "a" },
        chunkedCase("framing over its cap", "1;abcdef\r\na\r\n1;abcdef\r\nb\r\n0\r\n\r\n", limits: limits(framing: 12)) {
            $0.bodyError = .chunkFramingTooLarge
        },
        chunkedCase("17 hex digits", "00000000000000005\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("no size digits", ";a\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("empty size line", "\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("size ended by bare LF", "5\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("junk after size", "5x\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("SP after size without extension", "5 \r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("negative size", "-5\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("extension without name", "5;=x\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("extension with empty value", "5;a=\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("unterminated quoted extension", "5;a=\"x\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("control byte in extension", "5;a=b\u{01}\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkSize },
        chunkedCase("size line over 4096 bytes", "5;" + String(repeating: "a", count: 5000) + "\r\nhello\r\n0\r\n\r\n") {
            $0.bodyError = .badChunkSize
        },
        chunkedCase("data not followed by CRLF", "5\r\nhelloX\r\n0\r\n\r\n") { $0.bodyError = .badChunkTerminator },
        chunkedCase("data followed by bare LF", "5\r\nhello\n0\r\n\r\n") { $0.bodyError = .badChunkTerminator },
        chunkedCase("data followed by CR only", "5\r\nhello\r0\r\n\r\n") { $0.bodyError = .badChunkTerminator },
        chunkedCase("chunk shorter than its size", "6\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .badChunkTerminator },
        chunkedCase("total over maxBody", "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", limits: limits(body: 8)) { $0.bodyError = .bodyTooLarge },
        chunkedCase("single chunk over maxBody", "9\r\n123456789\r\n0\r\n\r\n", limits: limits(body: 8)) { $0.bodyError = .bodyTooLarge },
        chunkedCase("size of 16 F's", "FFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n") { $0.bodyError = .bodyTooLarge },
        chunkedCase("trailer obs-fold", "0\r\nA: b\r\n c\r\n\r\n") { $0.bodyError = .badTrailer },
        chunkedCase("trailer bad name", "0\r\nA B: c\r\n\r\n") { $0.bodyError = .badTrailer },
        chunkedCase("trailer without colon", "0\r\nABC\r\n\r\n") { $0.bodyError = .badTrailer },
        chunkedCase("trailer NUL in value", "0\r\nA: b\0\r\n\r\n") { $0.bodyError = .badTrailer },
        chunkedCase("trailer section ended by bare LF", "0\r\nA: b\r\n\n") { $0.bodyError = .badTrailer },
        chunkedCase("last chunk with bare LF end", "0\r\n\n") { $0.bodyError = .badTrailer },
    ]
}

extension ParserCase where Expect == RequestExpect {
    /// For heads whose declared body is deliberately not in the input.
    var withoutBodyCheck: RequestCase {
        var c = self
        if case .ok(var e) = c.outcome { e.rest = -1; c.outcome = .ok(e) }
        return c
    }
}
