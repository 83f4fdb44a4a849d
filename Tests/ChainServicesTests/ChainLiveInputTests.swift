import Foundation
import XCTest
@testable import ChainServices

/// The input and error contract against the live chain: what a client sends never reaches the
/// database cut short, and what the database says never reaches the client.
extension ChainLiveTests {
    /// Once, user 99999 was created with an empty name and email: libpq cut the NULs off and
    /// the 200 echoed the truncated row.
    func testANulInAStringFieldIsRefusedAndCreatesNothing() throws {
        let id = Int64.random(in: 900_000_000...999_999_999)
        let (s1, b1) = try post(#"{"user_id": \#(id), "action": "signup", "user_name": "\u0000", "user_email": "a@b.c"}"#)
        XCTAssertEqual(s1, 400, b1)
        XCTAssertTrue(b1.contains(#""code":"invalid_request""#) && b1.contains("user_name"), b1)
        let (s2, b2) = try post(#"{"user_id": \#(id), "action": "signup", "user_name": "Ann", "user_email": "\u0000a@b.c"}"#)
        XCTAssertEqual(s2, 400, b2)
        XCTAssertTrue(b2.contains("user_email"), b2)
        XCTAssertEqual(try get(.user, "/users/\(id)").0, 404, "no user was created")

        // audit-service stores its action as given: it checks it like user-service does.
        let audit = #"{"user": {"id": 1001, "name": "User 1001", "email": "user1001@example.com", "tier": "silver"}, "order": {"id": 1, "items": [], "subtotal_cents": 0, "discount_cents": 0, "tax_cents": 0, "total_cents": 0}, "action": "x\u0000y"}"#
        let (s3, b3) = try postTo(.audit, audit)
        XCTAssertEqual(s3, 400, b3)
        XCTAssertTrue(b3.contains(#""code":"invalid_request""#), b3)
    }

    /// A foreign-key violation caused by the request is the client's error (400), and the body
    /// names no constraint, SQLSTATE or server message.
    func testDatabaseRejectionsAre400WithoutDatabaseInternals() throws {
        let body = #"{"user": {"id": 987654320, "name": "Nobody", "email": "n@example.com", "tier": "standard"}, "action": "x"}"#
        let (status, text) = try postTo(.order, body)
        XCTAssertEqual(status, 400, text)
        XCTAssertTrue(text.hasPrefix(#"{"error":{"code":"invalid_request","message":"user.id must name an existing user""#), text)
        for leak in ["23503", "fkey", "constraint", "violates", "foreign", "orders", "server error"] {
            XCTAssertFalse(text.lowercased().contains(leak), "error body leaks \(leak): \(text)")
        }
    }

    func postTo(_ service: ServiceName, _ body: String) throws -> (Int, String) {
        try exchange(service, "POST /process HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }
}
