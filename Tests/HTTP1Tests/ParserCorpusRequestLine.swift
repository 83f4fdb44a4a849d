@testable import HTTP1

/// Request line and request-target cases (RFC 9112 2.2, 3, 3.2).
enum RequestCorpus {
    static var all: [RequestCase] { requestLine + targets + fields + framing + chunked + limitCases }

    static let requestLine: [RequestCase] = [
        // RFC 9112 3.2.1 / 9110 example exchange
        ok("rfc9112 origin-form example", "GET /where?q=now HTTP/1.1\r\nHost: www.example.org\r\n\r\n") {
            $0.method = .GET; $0.methodText = "GET"; $0.target = "/where?q=now"; $0.form = .origin
            $0.path = "/where"; $0.query = "q=now"; $0.version = 1; $0.host = "www.example.org"
            $0.headers = [("Host", "www.example.org")]; $0.contentLength = -1; $0.chunked = false
            $0.keepAlive = true; $0.expectContinue = false; $0.headLength = 52
        },
        ok("rfc9110 hello.txt example", "GET /hello.txt HTTP/1.1\r\nUser-Agent: curl/7.64.1\r\nHost: www.example.com\r\nAccept-Language: en, mi\r\n\r\n") {
            $0.path = "/hello.txt"; $0.query = ""; $0.host = "www.example.com"
            $0.headers = [("User-Agent", "curl/7.64.1"), ("Host", "www.example.com"), ("Accept-Language", "en, mi")]
        },
        ok("rfc9112 3.2.2 origin-form rewrite", "GET /pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n") {
            $0.path = "/pub/WWW/TheProject.html"; $0.form = .origin
        },
        ok("method HEAD", "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .HEAD; $0.methodText = "HEAD" },
        ok("method POST no body", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n") {
            $0.method = .POST; $0.contentLength = 0; $0.body = ""
        },
        ok("method PUT", "PUT /x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .PUT },
        ok("method DELETE", "DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .DELETE },
        ok("method OPTIONS origin", "OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .OPTIONS; $0.form = .origin },
        ok("method PATCH", "PATCH /x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .PATCH },
        ok("method TRACE", "TRACE /x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .TRACE },
        ok("extension method token", "PROPFIND /dav HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .other; $0.methodText = "PROPFIND" },
        ok("methods are case-sensitive", "get / HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .other; $0.methodText = "get" },
        ok("method with tchar punctuation", "M-SEARCH! /x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .other; $0.methodText = "M-SEARCH!" },
        ok("prefix of a known method", "GE /x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .other },
        ok("longer than a known method", "GETS /x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.method = .other },
        ok("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n") { $0.version = 0; $0.host = ""; $0.keepAlive = false },
        ok("HTTP/1.2 read as 1.1", "GET / HTTP/1.2\r\nHost: a\r\n\r\n") { $0.version = 1; $0.keepAlive = true },
        bad("HTTP/1.9 needs Host like 1.1", "GET / HTTP/1.9\r\n\r\n", .missingHost),
        ok("one leading CRLF skipped", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") { $0.path = "/"; $0.headLength = 29 },
        ok("four leading CRLFs skipped", "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") { $0.methodText = "GET"; $0.headLength = 35 },
        bad("five leading CRLFs", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("leading bare LF", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("leading CR without LF", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("leading SP", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("two SP after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("two SP before version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("HTAB as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("HTAB before version", "GET /\tHTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("missing version", "GET /\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("missing target and version", "GET\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("SP then CRLF for version", "GET / \r\nHost: a\r\n\r\n", .badRequestLine),
        bad("trailing SP after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .badRequestLine),
        bad("extra part after version", "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", .badRequestLine),
        bad("bare LF ends request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", .badRequestLine),
        bad("all bare LFs", "GET / HTTP/1.1\nHost: a\n\n", .badRequestLine),
        bad("CR without LF after version", "GET / HTTP/1.1\rHost: a\r\n\r\n", .badRequestLine),
        bad("method with '('", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", .badMethod),
        bad("method glued to target", "GET/ HTTP/1.1\r\nHost: a\r\n\r\n", .badMethod),
        bad("method with non-ASCII", "G\u{c9}T / HTTP/1.1\r\nHost: a\r\n\r\n", .badMethod),
        bad("method starting with NUL", "\0GET / HTTP/1.1\r\nHost: a\r\n\r\n", .badMethod),
        bad("method with '@'", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", .badMethod),
        bad("TLS handshake bytes", bytes: [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00], .badMethod),
        bad("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .badVersion),
        bad("lowercase http", "GET / http/1.1\r\nHost: a\r\n\r\n", .badVersion),
        bad("HTTP/1.10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", .badVersion),
        bad("HTTP/1 without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", .badVersion),
        bad("HTTP/1. without digit", "GET / HTTP/1.\r\nHost: a\r\n\r\n", .badVersion),
        bad("HTTP/1.x", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", .badVersion),
        bad("HTTP/0.9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", .badVersion),
        bad("HTTP/1.1 with junk", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", .badVersion),
        bad("version with prefix", "GET / XHTTP/1.1\r\nHost: a\r\n\r\n", .badVersion),
        bad("SP inside version", "GET / HTTP 1.1\r\nHost: a\r\n\r\n", .badVersion),
        bad("HTTP/11", "GET / HTTP/11\r\nHost: a\r\n\r\n", .badVersion),
    ]

    static let targets: [RequestCase] = [
        ok("rfc9112 absolute-form example", "GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n") {
            $0.form = .absolute; $0.target = "http://www.example.org/pub/WWW/TheProject.html"
            $0.authority = "www.example.org"; $0.path = "/pub/WWW/TheProject.html"; $0.query = ""
        },
        ok("rfc9112 authority-form example", "CONNECT www.example.com:80 HTTP/1.1\r\nHost: www.example.com:80\r\n\r\n") {
            $0.method = .CONNECT; $0.form = .authority; $0.authority = "www.example.com:80"; $0.path = ""
            $0.target = "www.example.com:80"
        },
        ok("rfc9112 asterisk-form example", "OPTIONS * HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n") {
            $0.method = .OPTIONS; $0.form = .asterisk; $0.path = "*"; $0.query = ""; $0.host = "www.example.org:8001"
        },
        ok("rfc9112 absolute-form without path", "OPTIONS http://www.example.org:8001 HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n") {
            $0.form = .absolute; $0.path = "/"; $0.authority = "www.example.org:8001"; $0.query = ""
        },
        ok("absolute-form with query but no path", "GET http://a.example?x=1 HTTP/1.1\r\nHost: a.example\r\n\r\n") {
            $0.path = "/"; $0.query = "x=1"; $0.authority = "a.example"
        },
        ok("absolute-form https, port, query", "GET https://a.example:8443/p/q?r=s&t HTTP/1.1\r\nHost: a.example:8443\r\n\r\n") {
            $0.path = "/p/q"; $0.query = "r=s&t"; $0.authority = "a.example:8443"
        },
        ok("absolute-form scheme is case-insensitive", "GET HTTP://A.EXAMPLE/ HTTP/1.1\r\nHost: a\r\n\r\n") {
            $0.form = .absolute; $0.authority = "A.EXAMPLE"; $0.path = "/"
        },
        ok("absolute-form IPv6 literal", "GET http://[::1]:8080/x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n") {
            $0.authority = "[::1]:8080"; $0.path = "/x"; $0.host = "[::1]:8080"
        },
        ok("absolute-form other scheme", "GET coap+tcp://h.example/a HTTP/1.1\r\nHost: h.example\r\n\r\n") { $0.path = "/a" },
        ok("origin-form empty query", "GET /a? HTTP/1.1\r\nHost: a\r\n\r\n") { $0.path = "/a"; $0.query = "" },
        ok("query holds '/' and '?'", "GET /a?b=/c?d HTTP/1.1\r\nHost: a\r\n\r\n") { $0.path = "/a"; $0.query = "b=/c?d" },
        ok("path with pct and sub-delims", "GET /%7Euser/a;b=c,d!$&'()*+@: HTTP/1.1\r\nHost: a\r\n\r\n") {
            $0.path = "/%7Euser/a;b=c,d!$&'()*+@:"
        },
        ok("path starting with //", "GET //x HTTP/1.1\r\nHost: a\r\n\r\n") { $0.path = "//x"; $0.form = .origin },
        ok("root path", "GET / HTTP/1.1\r\nHost: a\r\n\r\n") { $0.path = "/"; $0.query = ""; $0.target = "/" },
        ok("visible but unsafe URI bytes are accepted", "GET /a{b}|c^d HTTP/1.1\r\nHost: a\r\n\r\n") { $0.path = "/a{b}|c^d" },
        ok("CONNECT to IPv6", "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n") { $0.form = .authority; $0.authority = "[::1]:443" },
        bad("target with control byte", "GET /a\u{01}b HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("target with DEL", "GET /a\u{7f} HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("target with NUL", "GET /a\0 HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("target with HTAB", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("target with obs-text", "GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("target with fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("asterisk with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("asterisk followed by bytes", "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("authority-form with GET", "GET www.example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("CONNECT with origin-form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("CONNECT without port", "CONNECT www.example.com HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("CONNECT with empty port", "CONNECT www.example.com: HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("CONNECT with 6-digit port", "CONNECT www.example.com:123456 HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("CONNECT with userinfo", "CONNECT user@www.example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("CONNECT with absolute-form", "CONNECT http://a.example:80/ HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("CONNECT with empty host", "CONNECT :80 HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("absolute-form missing //", "GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("absolute-form empty authority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("absolute-form with userinfo", "GET http://u:p@h.example/ HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("scheme starting with digit", "GET 1http://h.example/ HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("absolute-form non-numeric port", "GET http://h.example:x/ HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("absolute-form unclosed IPv6", "GET http://[::1/ HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        bad("absolute-form bad pct escape in host", "GET http://a%zz/ HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
    ]
}
