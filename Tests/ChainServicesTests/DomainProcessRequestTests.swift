import XCTest
import HTTP1
@testable import ChainServices

final class DomainProcessRequestTests: XCTestCase {
    typealias M = ProcessRequest.Message

    func ok(_ body: String, file: StaticString = #filePath, line: UInt = #line) -> ProcessRequest? {
        switch ProcessRequest.parse(body) {
        case .success(let r): return r
        case .failure(let e): XCTFail("unexpected \(e)", file: file, line: line); return nil
        }
    }

    func fails(_ body: String, _ code: ErrorCode, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        switch ProcessRequest.parse(body) {
        case .success(let r): XCTFail("accepted \(body): \(r)", file: file, line: line)
        case .failure(let e):
            XCTAssertEqual(e.code, code, body, file: file, line: line)
            XCTAssertEqual(e.message, message, body, file: file, line: line)
        }
    }

    func body(userId: String = "1002", action: String = "\"purchase\"", extra: String = "") -> String {
        "{\"user_id\": \(userId), \"action\": \(action)\(extra)}"
    }

    func testMinimalValid() {
        XCTAssertEqual(ok(#"{"user_id": 1002, "action": "purchase"}"#), ProcessRequest(userId: 1002, action: "purchase"))
    }

    func testUserIdBoundaries() {
        XCTAssertEqual(ok(body(userId: "1"))?.userId, 1)
        XCTAssertEqual(ok(body(userId: "9223372036854775807"))?.userId, Int64.max)
        for bad in ["0", "-1", "-9223372036854775808", "9223372036854775808", "99999999999999999999999",
                    "1.0", "1e3", "1002.5", "\"5\"", "null", "true", "[1]", "{}"] {
            fails(body(userId: bad), .invalidRequest, M.userId)
        }
        fails(#"{"action": "purchase"}"#, .invalidRequest, M.userId)
        XCTAssertEqual(M.userId, "user_id must be an integer between 1 and 9223372036854775807")
    }

    func testActionRules() {
        XCTAssertEqual(ok(body(action: "\"a\""))?.action, "a")
        let allowed = "AZaz09_.:-"
        XCTAssertEqual(ok(body(action: "\"\(allowed)\""))?.action, allowed)
        let a64 = String(repeating: "x", count: 64)
        XCTAssertEqual(ok(body(action: "\"\(a64)\""))?.action, a64)
        for bad in ["\"\"", "\"\(a64)y\"", "\"buy now\"", "\"buy/now\"", "\"é\"", "\"a\\n\"", "\"a+b\"", "1", "null", "[\"a\"]"] {
            fails(body(action: bad), .invalidRequest, M.action)
        }
        fails(#"{"user_id": 5}"#, .invalidRequest, M.action)
        XCTAssertTrue(M.action.hasPrefix("action "))
    }

    func testUserNameRules() {
        XCTAssertEqual(ok(body(extra: #", "user_name": "A""#))?.userName, "A")
        let n128 = String(repeating: "é", count: 127) + "😀" // 128 scalars, multi-byte (258 bytes)
        XCTAssertEqual(ok(body(extra: ", \"user_name\": \"\(n128)\""))?.userName, n128)
        let ascii128 = String(repeating: "n", count: 128)
        XCTAssertEqual(ok(body(extra: ", \"user_name\": \"\(ascii128)\""))?.userName, ascii128)
        XCTAssertNil(ok(body(extra: #", "user_name": null"#))?.userName)
        for bad in ["\"\"", "\"\(n128)x\"", "\"\(ascii128)n\"", "5", "true", "[]"] {
            fails(body(extra: ", \"user_name\": \(bad)"), .invalidRequest, M.userName)
        }
        XCTAssertTrue(M.userName.hasPrefix("user_name "))
    }

    func testUserEmailRules() {
        XCTAssertEqual(ok(body(extra: #", "user_email": "a@b""#))?.userEmail, "a@b")
        let e254 = String(repeating: "a", count: 250) + "@b.c"
        XCTAssertEqual(ok(body(extra: ", \"user_email\": \"\(e254)\""))?.userEmail, e254)
        let e255 = "a" + e254
        let multi = String(repeating: "é", count: 251) + "@b.c" // 255 scalars
        for bad in ["\"@b\"", "\"ab\"", "\"\"", "\"abc\"", "\"a@b@c\"", "\"@@@\"", "\"\(e255)\"", "\"\(multi)\"", "7", "false"] {
            fails(body(extra: ", \"user_email\": \(bad)"), .invalidRequest, M.userEmail)
        }
        XCTAssertNotNil(ok(body(extra: ", \"user_email\": \"\(String(multi.dropFirst()))\"")))
        XCTAssertTrue(M.userEmail.hasPrefix("user_email "))
    }

    /// A NUL would be cut off by libpq's text parameters (user 99999 was once created with an
    /// empty name): control characters, spelled as JSON escapes, are refused by name.
    func testControlCharactersInStringsAreRefused() {
        for esc in ["\\u0000", "\\n", "\\r", "\\t", "\\u001f", "\\u007f", "\\u0085", "\\u009f"] {
            fails(body(extra: ", \"user_name\": \"Ann\(esc)Lee\""), .invalidRequest, M.userName)
            fails(body(extra: ", \"user_name\": \"\(esc)\""), .invalidRequest, M.userName)
            fails(body(extra: ", \"user_email\": \"a\(esc)@b.c\""), .invalidRequest, M.userEmail)
            fails(body(action: "\"buy\(esc)\""), .invalidRequest, M.action)
        }
        // Neighbours of the control ranges stay valid.
        XCTAssertEqual(ok(body(extra: #", "user_name": "A\u00a0B ~""#))?.userName, "A\u{a0}B ~")
        XCTAssertTrue(M.userName.contains("control") && M.userEmail.contains("control"))
    }

    func testFullRequestAndUnknownFields() {
        let r = ok(#"{"x": {"deep": [1, 2, {"y": null}]}, "user_id": 20001, "action": "signup", "user_name": "Zoë", "user_email": "zoe@example.com", "extra": 1.5}"#)
        XCTAssertEqual(r, ProcessRequest(userId: 20001, action: "signup", userName: "Zoë", userEmail: "zoe@example.com"))
        XCTAssertEqual(r?.canCreateUser, true)
        XCTAssertEqual(ok(body(extra: #", "user_name": "n""#))?.canCreateUser, false)
    }

    func testDuplicateKeysLastWins() {
        XCTAssertEqual(ok(#"{"user_id": 0, "action": "a", "user_id": 7}"#)?.userId, 7)
        fails(#"{"user_id": 7, "action": "a", "user_id": 0}"#, .invalidRequest, M.userId)
    }

    func testFieldOrderOfErrors() {
        fails(#"{"user_id": 0, "action": ""}"#, .invalidRequest, M.userId)
        fails(#"{"user_id": 1, "action": "", "user_name": ""}"#, .invalidRequest, M.action)
        fails(#"{"user_id": 1, "action": "a", "user_name": "", "user_email": ""}"#, .invalidRequest, M.userName)
    }

    func testNonObjectBodies() {
        for bad in ["", "   ", "[]", "[{\"user_id\":1,\"action\":\"a\"}]", "\"str\"", "42", "null", "true",
                    "{", "{\"user_id\": 1, \"action\": \"a\"", "{\"user_id\": 1, \"action\": \"a\"} x",
                    "{\"user_id\": 01, \"action\": \"a\"}", "{\"user_id\": +1, \"action\": \"a\"}",
                    "{\"user_id\": NaN, \"action\": \"a\"}", "{\"user_id\": 1, \"action\": \"\\ud800\"}"] {
            fails(bad, .invalidJSON, M.invalidJSON)
        }
        XCTAssertEqual(ProcessRequest.parse([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]),
                       .failure(ErrorBody(.invalidJSON, M.invalidJSON)))
        XCTAssertEqual(ErrorCode.invalidJSON.httpStatus, 400)
        XCTAssertEqual(ErrorCode.invalidRequest.httpStatus, 400)
    }

    func testEncodeRoundTrip() {
        let r = ProcessRequest(userId: Int64.max, action: "a:b", userName: "N \"q\"", userEmail: "x@y.z")
        XCTAssertEqual(ProcessRequest.parse(r.json), .success(r))
    }
}
