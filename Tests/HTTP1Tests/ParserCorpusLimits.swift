@testable import HTTP1

/// Limits are enforced by position, also while the head is still incomplete.
extension RequestCorpus {
    /// "GET /" + path + " HTTP/1.1\r\n" is `n` bytes long.
    static func requestLine(length n: Int) -> String {
        "GET /" + String(repeating: "a", count: n - 16) + " HTTP/1.1\r\n"
    }

    static let limitCases: [RequestCase] = [
        ok("request line exactly at maxRequestLine", requestLine(length: 32) + "Host: a\r\n\r\n", limits: limits(line: 32)) {
            $0.path = "/" + String(repeating: "a", count: 16)
        },
        bad("request line one byte over", requestLine(length: 33) + "Host: a\r\n\r\n", .requestLineTooLong, limits: limits(line: 32)),
        bad("request line two bytes over", requestLine(length: 34) + "Host: a\r\n\r\n", .requestLineTooLong, limits: limits(line: 32)),
        bad("unfinished request line over limit", "GET /" + String(repeating: "a", count: 40), .requestLineTooLong, limits: limits(line: 32)),
        bad("error before the limit wins", "GET /a\u{01}" + String(repeating: "a", count: 40), .badTarget, limits: limits(line: 32)),
        ok("leading CRLFs do not count toward maxRequestLine", "\r\n" + requestLine(length: 32) + "Host: a\r\n\r\n", limits: limits(line: 32)) {
            $0.headLength = 45
        },
        bad("maxHeaderBytes smaller than maxRequestLine", requestLine(length: 40) + "Host: a\r\n\r\n", .headersTooLarge,
            limits: limits(line: 64, head: 32)),
        ok("head exactly at maxHeaderBytes", "GET / HTTP/1.1\r\nHost: a\r\nX: 12345\r\n\r\n", limits: limits(head: 37)) {
            $0.headers = [("Host", "a"), ("X", "12345")]
        },
        bad("head one byte over maxHeaderBytes", "GET / HTTP/1.1\r\nHost: a\r\nX: 123456\r\n\r\n", .headersTooLarge, limits: limits(head: 37)),
        bad("final LF beyond maxHeaderBytes", "GET / HTTP/1.1\r\nHost: a\r\nX: 12345\r\n\r\n", .headersTooLarge, limits: limits(head: 36)),
        bad("unfinished field over maxHeaderBytes", "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 64),
            .headersTooLarge, limits: limits(head: 64)),
        bad("many fields over maxHeaderBytes", "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "A: b\r\n", count: 20),
            .headersTooLarge, limits: limits(head: 64)),
        ok("header count exactly at maxHeaderCount", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits(count: 3)) {
            $0.headers = [("Host", "a"), ("A", "1"), ("B", "2")]
        },
        bad("one field over maxHeaderCount", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", .tooManyHeaders, limits: limits(count: 3)),
        bad("too many fields while incomplete", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC", .tooManyHeaders, limits: limits(count: 3)),
        bad("field syntax error before maxHeaderCount", "GET / HTTP/1.1\r\nHost: a\r\nA : 1\r\nB: 2\r\nC: 3\r\n\r\n", .whitespaceBeforeColon,
            limits: limits(count: 3)),
        ok("zero fields allowed in 1.0 with maxHeaderCount 0", "GET / HTTP/1.0\r\n\r\n", limits: limits(count: 0)) { $0.version = 0 },
    ]
}
