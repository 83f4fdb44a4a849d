import XCTest
@testable import HTTP1

// Data-driven harness for the parser corpora: every case is parsed whole, split at every byte
// boundary (prefix, then the whole, from a different allocation), and grown one byte at a time
// through one parser. Bodies go through ChunkedDecoder whole, split and byte by byte.

/// Expected fields of a parsed request; nil means "not checked".
struct RequestExpect {
    var method: HTTPMethod?
    var methodText: String?
    var target: String?
    var form: TargetForm?
    var path: String?
    var query: String?
    var authority: String?
    var version: UInt8?
    var host: String?
    var headers: [(String, String)]?
    var contentLength: Int64?
    var chunked: Bool?
    var keepAlive: Bool?
    var expectContinue: Bool?
    /// nil: the offset after the first CRLFCRLF of the raw bytes (computed here, not by the parser).
    var headLength: Int?
    /// Decoded body (Content-Length or chunked); nil: no body is expected.
    var body: String?
    /// The chunked decoder must fail with this.
    var bodyError: ParseErrorCode?
    /// Bytes after the message (pipelined data).
    var rest = 0
}

enum Outcome<Expect> {
    case ok(Expect)
    case fail(ParseErrorCode)
}

struct ParserCase<Expect> {
    var name: String
    var bytes: [UInt8]
    var limits: HTTPLimits
    var outcome: Outcome<Expect>
    var file: StaticString
    var line: UInt
}

typealias RequestCase = ParserCase<RequestExpect>

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func limits(line: Int? = nil, head: Int? = nil, count: Int? = nil, body: Int? = nil, framing: Int? = nil) -> HTTPLimits {
    var l = HTTPLimits()
    l.maxChunkFraming = framing
    if let line { l.maxRequestLine = line }
    if let head { l.maxHeaderBytes = head }
    if let count { l.maxHeaderCount = count }
    if let body { l.maxBody = body }
    return l
}

func ok(_ name: String, _ raw: String, limits: HTTPLimits = HTTPLimits(), file: StaticString = #filePath,
        line: UInt = #line, _ configure: (inout RequestExpect) -> Void = { _ in }) -> RequestCase {
    ok(name, bytes: bytes(raw), limits: limits, file: file, line: line, configure)
}

func ok(_ name: String, bytes raw: [UInt8], limits: HTTPLimits = HTTPLimits(), file: StaticString = #filePath,
        line: UInt = #line, _ configure: (inout RequestExpect) -> Void = { _ in }) -> RequestCase {
    var e = RequestExpect()
    configure(&e)
    return RequestCase(name: name, bytes: raw, limits: limits, outcome: .ok(e), file: file, line: line)
}

func bad(_ name: String, _ raw: String, _ code: ParseErrorCode, limits: HTTPLimits = HTTPLimits(),
         file: StaticString = #filePath, line: UInt = #line) -> RequestCase {
    bad(name, bytes: bytes(raw), code, limits: limits, file: file, line: line)
}

func bad(_ name: String, bytes raw: [UInt8], _ code: ParseErrorCode, limits: HTTPLimits = HTTPLimits(),
         file: StaticString = #filePath, line: UInt = #line) -> RequestCase {
    RequestCase(name: name, bytes: raw, limits: limits, outcome: .fail(code), file: file, line: line)
}

/// Offset after the first CRLFCRLF, found independently of the parser.
func endOfHead(_ b: [UInt8]) -> Int? {
    guard b.count >= 4 else { return nil }
    for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
        return i + 4
    }
    return nil
}

func text(_ span: ByteRange, _ b: [UInt8]) -> String? {
    guard span.start >= 0, span.count >= 0, span.end <= b.count else { return nil }
    return String(decoding: b[span.range], as: UTF8.self)
}

/// Runs one request parser over `b`, as the server would with a fresh read buffer.
func parseRequest(_ b: [UInt8], _ parser: inout RequestParser, _ head: inout RequestHead,
                  _ table: HeaderTable) -> ParseStatus {
    b.withUnsafeBytes { parser.parseHead($0, head: &head, headers: table) }
}

func parseResponse(_ b: [UInt8], _ parser: inout ResponseParser, _ head: inout ResponseHead,
                   _ table: HeaderTable) -> ParseStatus {
    b.withUnsafeBytes { parser.parseHead($0, head: &head, headers: table) }
}

struct Failure: Error { var message: String }

func expectEqual<T: Equatable>(_ got: T?, _ want: T?, _ what: String) throws {
    guard let want else { return }
    guard got == want else { throw Failure(message: "\(what): got \(String(describing: got)), want \(want)") }
}

func failing(_ c: ParserCase<some Any>, _ context: String, _ message: String) {
    XCTFail("[\(c.name)] \(context): \(message)", file: c.file, line: c.line)
}
