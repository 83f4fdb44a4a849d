import XCTest
@testable import HTTP1

/// Runs a RequestCase whole, split at every byte and grown byte by byte (see ParserTestSupport).
enum RequestHarness {
    static func verify(_ c: RequestCase) {
        do { try whole(c) } catch let f as Failure { return failing(c, "whole", f.message) } catch {}
        for k in 0..<c.bytes.count {
            do { try split(c, at: k) } catch let f as Failure { return failing(c, "split at \(k)", f.message) } catch {}
        }
        do { try byteByByte(c) } catch let f as Failure { failing(c, "byte by byte", f.message) } catch {}
    }

    static func fresh(_ c: RequestCase) -> (RequestParser, RequestHead, HeaderTable) {
        (RequestParser(limits: c.limits), RequestHead(), HeaderTable(capacity: c.limits.maxHeaderCount))
    }

    static func headLength(_ c: RequestCase, _ e: RequestExpect) -> Int {
        e.headLength ?? endOfHead(c.bytes) ?? -1
    }

    static func whole(_ c: RequestCase) throws {
        var (parser, head, table) = fresh(c)
        let s = parseRequest(c.bytes, &parser, &head, table)
        try check(c, s, head, table, c.bytes, withBody: true)
    }

    /// Prefix [0, k) in its own allocation, then the whole input from another one.
    static func split(_ c: RequestCase, at k: Int) throws {
        var (parser, head, table) = fresh(c)
        let prefix = Array(c.bytes[0..<k])
        let s1 = parseRequest(prefix, &parser, &head, table)
        switch c.outcome {
        case .fail(let code):
            guard s1 == .incomplete || s1 == .error(ParseError(code)) else {
                throw Failure(message: "prefix gave \(s1), want incomplete or \(code)")
            }
        case .ok(let e):
            if k < headLength(c, e) {
                guard s1 == .incomplete else { throw Failure(message: "prefix gave \(s1), want incomplete") }
            } else {
                try check(c, s1, head, table, prefix, withBody: false)
            }
        }
        let s2 = parseRequest(c.bytes, &parser, &head, table)
        try check(c, s2, head, table, c.bytes, withBody: false)
    }

    /// One parser fed ever longer views of the same bytes: it must finish exactly at the end of the head.
    static func byteByByte(_ c: RequestCase) throws {
        var (parser, head, table) = fresh(c)
        try c.bytes.withUnsafeBytes { all in
            for n in 0...all.count {
                let s = parser.parseHead(UnsafeRawBufferPointer(rebasing: all[0..<n]), head: &head, headers: table)
                if s == .incomplete {
                    if n == all.count { throw Failure(message: "still incomplete with all bytes") }
                    continue
                }
                if case .ok(let e) = c.outcome, n != headLength(c, e) {
                    throw Failure(message: "completed at \(n), head ends at \(headLength(c, e))")
                }
                try check(c, s, head, table, Array(c.bytes[0..<n]), withBody: false)
                return
            }
        }
    }

    static func check(_ c: RequestCase, _ s: ParseStatus, _ head: RequestHead, _ table: HeaderTable,
                      _ b: [UInt8], withBody: Bool) throws {
        switch c.outcome {
        case .fail(let code):
            guard s == .error(ParseError(code)) else { throw Failure(message: "got \(s), want error \(code)") }
        case .ok(let e):
            guard s == .complete else { throw Failure(message: "got \(s), want complete") }
            try compare(c, e, head, table, b)
            if withBody { try checkBody(c, e, head) }
        }
    }

    static func compare(_ c: RequestCase, _ e: RequestExpect, _ head: RequestHead, _ table: HeaderTable,
                        _ b: [UInt8]) throws {
        try expectEqual(head.headLength, headLength(c, e), "headLength")
        try checkSpans(head, table, head.headLength)
        try expectEqual(head.method, e.method, "method")
        try expectEqual(text(head.methodRange, b), e.methodText, "method text")
        try expectEqual(text(head.target, b), e.target, "target")
        try expectEqual(head.form, e.form, "form")
        try expectEqual(text(head.path, b), e.path, "path")
        try expectEqual(text(head.query, b), e.query, "query")
        try expectEqual(text(head.authority, b), e.authority, "authority")
        try expectEqual(head.versionMinor, e.version, "versionMinor")
        try expectEqual(text(head.host, b), e.host, "host")
        try expectEqual(head.contentLength, e.contentLength, "contentLength")
        try expectEqual(head.chunked, e.chunked, "chunked")
        try expectEqual(head.keepAlive, e.keepAlive, "keepAlive")
        try expectEqual(head.expectContinue, e.expectContinue, "expectContinue")
        if let want = e.headers {
            let got = (0..<table.count).map { (text(table[$0].name, b) ?? "?", text(table[$0].value, b) ?? "?") }
            guard got.count == want.count && zip(got, want).allSatisfy({ $0 == $1 }) else {
                throw Failure(message: "headers: got \(got), want \(want)")
            }
        }
    }

    /// Every span a caller may use lies inside the head.
    static func checkSpans(_ head: RequestHead, _ table: HeaderTable, _ limit: Int) throws {
        var spans = [head.methodRange, head.target, head.path, head.query, head.authority, head.host]
        for i in 0..<table.count { spans += [table[i].name, table[i].value] }
        for s in spans where s.start < 0 || s.count < 0 || s.end > limit {
            throw Failure(message: "span \(s) outside head of \(limit) bytes")
        }
    }

    static func checkBody(_ c: RequestCase, _ e: RequestExpect, _ head: RequestHead) throws {
        if e.rest < 0 { return }  // the case's body is deliberately absent
        let afterHead = Array(c.bytes[head.headLength...])
        if head.chunked {
            try ChunkedHarness.check(afterHead, maxBody: c.limits.maxBody, maxFraming: c.limits.maxChunkFraming,
                                         body: e.body, error: e.bodyError, rest: e.rest)
            return
        }
        guard e.bodyError == nil else { throw Failure(message: "body error expected but body is not chunked") }
        let length = max(0, Int(head.contentLength))
        guard length + e.rest == afterHead.count else {
            throw Failure(message: "\(afterHead.count) bytes after head, want body \(length) + rest \(e.rest)")
        }
        try expectEqual(String(decoding: afterHead[0..<length], as: UTF8.self), e.body ?? "", "body")
    }
}

/// Chunked bodies: whole, prefix-then-whole at every split, and byte by byte must all agree.
enum ChunkedHarness {
    struct Result: Equatable {
        var status: ParseStatus
        var body: [UInt8]
        var consumed: Int
        /// decodedCount <= consumed <= bytes given, after every call.
        var invariantHeld: Bool
    }

    static func check(_ input: [UInt8], maxBody: Int, maxFraming: Int? = nil, body: String?, error: ParseErrorCode?,
                      rest: Int) throws {
        func run(_ input: [UInt8], maxBody: Int, feeds: [Int]) -> Result {
            ChunkedHarness.run(input, maxBody: maxBody, maxFraming: maxFraming, feeds: feeds)
        }
        let whole = run(input, maxBody: maxBody, feeds: [input.count])
        guard whole.invariantHeld else { throw Failure(message: "chunked: decodedCount <= consumed <= count violated") }
        if let error {
            guard whole.status == .error(ParseError(error)) else { throw Failure(message: "chunked: got \(whole.status), want \(error)") }
        } else {
            guard whole.status == .complete else { throw Failure(message: "chunked: got \(whole.status), want complete") }
            try expectEqual(String(decoding: whole.body, as: UTF8.self), body ?? "", "decoded body")
            try expectEqual(whole.consumed + rest, input.count, "consumed + rest")
        }
        let bytewise = run(input, maxBody: maxBody, feeds: Array(0...input.count))
        guard bytewise == whole else { throw Failure(message: "chunked byte by byte: \(bytewise) vs whole \(whole)") }
        for k in 0..<input.count {
            let r = run(input, maxBody: maxBody, feeds: [k, input.count])
            guard r == whole else { throw Failure(message: "chunked split at \(k): \(r) vs whole \(whole)") }
        }
    }

    /// Feeds views [0, n) for each n in `feeds` (stopping at the first terminal status) to one decoder.
    static func run(_ input: [UInt8], maxBody: Int, maxFraming: Int? = nil, feeds: [Int]) -> Result {
        var buffer = input
        var decoder = ChunkedDecoder(maxBody: maxBody, maxFramingBytes: maxFraming)
        var status = ParseStatus.incomplete
        var held = true
        buffer.withUnsafeMutableBytes { all in
            for n in feeds {
                status = decoder.decode(UnsafeMutableRawBufferPointer(rebasing: all[0..<n]))
                held = held && decoder.decodedCount <= decoder.consumed && decoder.consumed <= n
                if status != .incomplete { break }
            }
        }
        return Result(status: status, body: Array(buffer[0..<decoder.decodedCount]), consumed: decoder.consumed,
                      invariantHeld: held)
    }
}
