@testable import HTTP1

/// Field line syntax (RFC 9112 5) and the Host / Connection / Expect semantics.
extension RequestCorpus {
    static let fields: [RequestCase] = [
        ok("OWS around value trimmed", "GET / HTTP/1.1\r\nHost: a\r\nX:  \t v a l \t \r\n\r\n") {
            $0.headers = [("Host", "a"), ("X", "v a l")]
        },
        ok("no OWS at all", "GET / HTTP/1.1\r\nHost:a\r\nX:b\r\n\r\n") { $0.headers = [("Host", "a"), ("X", "b")]; $0.host = "a" },
        ok("empty value", "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n") { $0.headers = [("Host", "a"), ("X", "")] },
        ok("value of only OWS", "GET / HTTP/1.1\r\nHost: a\r\nX: \t \r\n\r\n") { $0.headers = [("Host", "a"), ("X", "")] },
        ok("obs-text in value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\u{e9}\r\n\r\n") { $0.headers = [("Host", "a"), ("X", "caf\u{e9}")] },
        ok("raw 0x80 and 0xFF in value", bytes: bytes("GET / HTTP/1.1\r\nHost: a\r\nX: ") + [0x80, 0xFF] + bytes("\r\n\r\n")) {
            $0.host = "a"
        },
        ok("HTAB inside value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n") { $0.headers = [("Host", "a"), ("X", "a\tb")] },
        ok("colons inside value", "GET / HTTP/1.1\r\nHost: a\r\nX: a:b::c\r\n\r\n") { $0.headers = [("Host", "a"), ("X", "a:b::c")] },
        ok("quotes and backslashes in value", "GET / HTTP/1.1\r\nHost: a\r\nX: \"a\\b\"\r\n\r\n") {
            $0.headers = [("Host", "a"), ("X", "\"a\\b\"")]
        },
        ok("name made of every tchar", "GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n") {
            $0.headers = [("Host", "a"), ("!#$%&'*+-.^_`|~09azAZ", "v")]
        },
        ok("names keep their case", "GET / HTTP/1.1\r\nhOsT: a\r\nX-Trace-ID: 7\r\n\r\n") {
            $0.headers = [("hOsT", "a"), ("X-Trace-ID", "7")]; $0.host = "a"
        },
        ok("duplicate non-special fields are all kept", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nA: 2\r\n\r\n") {
            $0.headers = [("Host", "a"), ("A", "1"), ("A", "2")]
        },
        ok("traceparent header", "POST /api/v1/process HTTP/1.1\r\nHost: gw:8080\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}") {
            $0.method = .POST; $0.path = "/api/v1/process"; $0.host = "gw:8080"; $0.contentLength = 2; $0.body = "{}"
            $0.headers = [("Host", "gw:8080"), ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                          ("Content-Type", "application/json"), ("Content-Length", "2")]
        },
        ok("body bytes do not leak into head", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n\r\n\r\n") {
            $0.contentLength = 4; $0.body = "\r\n\r\n"
        },
        ok("pipelined bytes after head", "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\n") { $0.rest = 20 },
        // Host
        ok("Host with port", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n") { $0.host = "example.com:8080" },
        ok("Host IPv4", "GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n") { $0.host = "192.0.2.1:80" },
        ok("Host IPv6", "GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n") { $0.host = "[2001:db8::1]" },
        ok("Host empty (target without authority)", "GET / HTTP/1.1\r\nHost:\r\n\r\n") { $0.host = ""; $0.headers = [("Host", "")] },
        ok("Host name upper case", "GET / HTTP/1.1\r\nHOST: a.example\r\n\r\n") { $0.host = "a.example" },
        ok("Host pct-encoded", "GET / HTTP/1.1\r\nHost: a%2Db\r\n\r\n") { $0.host = "a%2Db" },
        ok("Host with trailing OWS", "GET / HTTP/1.1\r\nHost: a \r\n\r\n") { $0.host = "a" },
        bad("missing Host in 1.1", "GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", .missingHost),
        bad("no fields at all in 1.1", "GET / HTTP/1.1\r\n\r\n", .missingHost),
        bad("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .multipleHost),
        bad("two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", .multipleHost),
        bad("two Host fields in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", .multipleHost),
        bad("Host with SP", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", .badHeaderValue),
        bad("Host with userinfo", "GET / HTTP/1.1\r\nHost: u@h\r\n\r\n", .badHeaderValue),
        bad("Host with bad port", "GET / HTTP/1.1\r\nHost: h:99x\r\n\r\n", .badHeaderValue),
        bad("Host with path", "GET / HTTP/1.1\r\nHost: h/x\r\n\r\n", .badHeaderValue),
        bad("Host with empty port", "GET / HTTP/1.1\r\nHost: h:\r\n\r\n", .badHeaderValue),
        bad("Host list", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", .badHeaderValue),
        // Connection
        ok("1.1 keep-alive by default", "GET / HTTP/1.1\r\nHost: a\r\n\r\n") { $0.keepAlive = true },
        ok("1.1 Connection: close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") { $0.keepAlive = false },
        ok("1.1 Connection: CLOSE", "GET / HTTP/1.1\r\nHost: a\r\nconnection: CLOSE\r\n\r\n") { $0.keepAlive = false },
        ok("close inside a token list", "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n") { $0.keepAlive = false },
        ok("close in a second Connection field", "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nConnection: close\r\n\r\n") {
            $0.keepAlive = false
        },
        ok("token that merely starts with close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n") { $0.keepAlive = true },
        ok("empty list elements ignored", "GET / HTTP/1.1\r\nHost: a\r\nConnection: , ,close,\r\n\r\n") { $0.keepAlive = false },
        ok("1.0 closes by default", "GET / HTTP/1.0\r\n\r\n") { $0.keepAlive = false },
        ok("1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") { $0.keepAlive = true; $0.version = 0 },
        ok("1.0 Keep-Alive in a list", "GET / HTTP/1.0\r\nConnection: foo, Keep-Alive\r\n\r\n") { $0.keepAlive = true },
        ok("1.0 keep-alive and close", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n") { $0.keepAlive = false },
        bad("Connection value not a token list", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close me\r\n\r\n", .badHeaderValue),
        bad("Connection with '/'", "GET / HTTP/1.1\r\nHost: a\r\nConnection: a/b\r\n\r\n", .badHeaderValue),
        // Expect
        ok("Expect: 100-continue", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc") {
            $0.expectContinue = true; $0.body = "abc"
        },
        ok("Expect is case-insensitive", "POST / HTTP/1.1\r\nHost: a\r\nexpect: 100-Continue\r\nContent-Length: 0\r\n\r\n") {
            $0.expectContinue = true; $0.body = ""
        },
        ok("Expect ignored in 1.0", "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n") {
            $0.expectContinue = false; $0.body = ""
        },
        ok("other expectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n") { $0.expectContinue = false },
        // Field syntax errors
        bad("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", .obsFold),
        bad("obs-fold with HTAB", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", .obsFold),
        bad("whitespace before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", .obsFold),
        bad("SP before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", .whitespaceBeforeColon),
        bad("HTAB before colon", "GET / HTTP/1.1\r\nHost: a\r\nX\t: b\r\n\r\n", .whitespaceBeforeColon),
        bad("SP inside name", "GET / HTTP/1.1\r\nHost: a\r\nX Y: b\r\n\r\n", .whitespaceBeforeColon),
        bad("empty name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", .badHeaderName),
        bad("name with '/'", "GET / HTTP/1.1\r\nHost: a\r\nX/Y: b\r\n\r\n", .badHeaderName),
        bad("name with '('", "GET / HTTP/1.1\r\nHost: a\r\nX(: b\r\n\r\n", .badHeaderName),
        bad("name with non-ASCII", "GET / HTTP/1.1\r\nHost: a\r\nX\u{e9}: b\r\n\r\n", .badHeaderName),
        bad("name with NUL", "GET / HTTP/1.1\r\nHost: a\r\nX\0: b\r\n\r\n", .badHeaderName),
        bad("line without colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", .badHeaderName),
        bad("NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", .badHeaderValue),
        bad("CR inside value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", .badHeaderValue),
        bad("bare LF ends a field", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", .badHeaderValue),
        bad("bare LF ends the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", .badHeaderValue),
        bad("CR CR LF ends the head", "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", .badHeaderValue),
        bad("control byte 0x01 in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}\r\n\r\n", .badHeaderValue),
        bad("ESC in value", "GET / HTTP/1.1\r\nHost: a\r\nX: \u{1b}[0m\r\n\r\n", .badHeaderValue),
        bad("DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7f}\r\n\r\n", .badHeaderValue),
        bad("vertical tab in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0b}b\r\n\r\n", .badHeaderValue),
        // Errors in input that never ends: found at once, whichever way the bytes arrived.
        bad("unterminated junk method", "PHTTP/1", .badMethod),
        bad("unterminated bad target", "GET /a\u{01}b", .badTarget),
        bad("unterminated bad version", "GET / HTTP/2", .badVersion),
        bad("unterminated space before colon", "GET / HTTP/1.1\r\nHost: a\r\nX : v", .whitespaceBeforeColon),
        bad("unterminated NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b", .badHeaderValue),
    ]
}
