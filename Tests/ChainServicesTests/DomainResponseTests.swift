import XCTest
import HTTP1
@testable import ChainServices

final class DomainResponseTests: XCTestCase {
    func str(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    func testUserEncoding() {
        XCTAssertEqual(str(SeedUsers.user(id: 1002)!.json),
                       #"{"id":1002,"name":"User 1002","email":"user1002@example.com","tier":"silver"}"#)
    }

    func testProcessResponseByteExact() {
        let user = SeedUsers.user(id: 1002)!
        let order = Order(id: 17, pricing: Pricing.price(userId: 1002, tier: user.tier))
        let body = encodeProcessResponse(traceId: "4bf92f3577b34da6a3ce929d0e0e4736", user: user, order: order,
                                         audit: AuditRecord(id: 17))
        let expected = #"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","status":"completed","#
            + #""user":{"id":1002,"name":"User 1002","email":"user1002@example.com","tier":"silver"},"#
            + #""order":{"id":17,"items":[{"sku":"SKU-1002-0","quantity":1,"unit_price_cents":1562}],"#
            + #""subtotal_cents":1562,"discount_cents":78,"tax_cents":122,"total_cents":1606},"#
            + #""audit":{"id":17,"status":"recorded"}}"#
        XCTAssertEqual(str(body), expected)
        // The API.md example (pretty-printed) parses to the same document.
        let pretty = """
        {
          "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
          "status": "completed",
          "user":  {"id": 1002, "name": "User 1002", "email": "user1002@example.com", "tier": "silver"},
          "order": {"id": 17, "items": [{"sku": "SKU-1002-0", "quantity": 1, "unit_price_cents": 1562}],
                    "subtotal_cents": 1562, "discount_cents": 78, "tax_cents": 122, "total_cents": 1606},
          "audit": {"id": 17, "status": "recorded"}
        }
        """
        XCTAssertEqual(try JSONReader.parse(pretty), try JSONReader.parse(body))
    }

    func testUser1001Order() {
        let order = Order(id: 1, pricing: Pricing.price(userId: 1001, tier: .silver))
        XCTAssertEqual(str(order.json),
                       #"{"id":1,"items":[{"sku":"SKU-1001-0","quantity":1,"unit_price_cents":1531},{"sku":"SKU-1001-1","quantity":2,"unit_price_cents":1548},{"sku":"SKU-1001-2","quantity":1,"unit_price_cents":1565}],"subtotal_cents":6192,"discount_cents":309,"tax_cents":485,"total_cents":6368}"#)
    }

    func testErrorBodyByteExact() {
        let e = ErrorBody(.invalidRequest, "user_id must be an integer between 1 and 9223372036854775807")
        XCTAssertEqual(str(e.json(traceId: "4bf92f3577b34da6a3ce929d0e0e4736")),
                       #"{"error":{"code":"invalid_request","message":"user_id must be an integer between 1 and 9223372036854775807"},"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#)
        XCTAssertEqual(str(ErrorBody(.userNotFound, "say \"hi\"\n").json(traceId: "t")),
                       #"{"error":{"code":"user_not_found","message":"say \"hi\"\n"},"trace_id":"t"}"#)
        let codes = ErrorCode.allCases.map { "\($0.rawValue)=\($0.httpStatus)" }
        XCTAssertEqual(codes, ["invalid_json=400", "invalid_request=400", "user_not_found=404", "not_found=404",
                               "method_not_allowed=405", "payload_too_large=413", "upstream_error=502",
                               "unavailable=503", "upstream_timeout=504", "idempotency_in_flight=409",
                               "idempotency_mismatch=422", "request_timeout=408", "uri_too_long=414",
                               "headers_too_large=431", "not_implemented=501", "internal_error=500"])
        XCTAssertEqual(ErrorBody(json: try! JSONReader.parse(e.json(traceId: "x"))), e)
    }

    func testInterServiceBodiesRoundTrip() throws {
        let user = SeedUsers.user(id: 1001)!
        let order = Order(id: 5, pricing: Pricing.price(userId: 1001, tier: .silver))
        XCTAssertEqual(str(encodeOrderServiceRequest(user: user, action: "purchase")),
                       #"{"user":{"id":1001,"name":"User 1001","email":"user1001@example.com","tier":"silver"},"action":"purchase"}"#)
        let a = try JSONReader.parse(encodeAuditServiceRequest(user: user, order: order, action: "purchase"))
        XCTAssertEqual(User(json: a["user"]!), user)
        XCTAssertEqual(Order(json: a["order"]!), order)
        XCTAssertEqual(a["action"], .string("purchase"))
        XCTAssertEqual(str(encodeAuditDetails(totalCents: 1606, itemCount: 1)), #"{"total_cents":1606,"item_count":1}"#)
        XCTAssertNil(User(json: .object([JSONMember("id", .int(1))])))
        XCTAssertNil(User(json: try JSONReader.parse(#"{"id":1,"name":"n","email":"e","tier":"platinum"}"#)))
    }

    func testFullOrderAndAuditLogShapes() {
        let o = Order(id: 17, pricing: Pricing.price(userId: 1002, tier: .silver), userId: 1002, action: "purchase",
                      traceId: "abc", createdAt: "2025-01-01T00:00:00Z")
        XCTAssertEqual(str(o.json),
                       #"{"id":17,"user_id":1002,"action":"purchase","items":[{"sku":"SKU-1002-0","quantity":1,"unit_price_cents":1562}],"subtotal_cents":1562,"discount_cents":78,"tax_cents":122,"total_cents":1606,"trace_id":"abc","created_at":"2025-01-01T00:00:00Z"}"#)
        XCTAssertEqual(Order(json: try! JSONReader.parse(o.json)), o)
        var w = JSONWriter()
        AuditLog(id: 3, traceId: "t", userId: 1002, orderId: nil, action: "purchase", status: "completed",
                 detailsJSON: encodeAuditDetails(totalCents: 1606, itemCount: 1), createdAt: "c").write(to: &w)
        XCTAssertEqual(str(w.bytes),
                       #"{"id":3,"trace_id":"t","user_id":1002,"order_id":null,"action":"purchase","status":"completed","details":{"total_cents":1606,"item_count":1},"created_at":"c"}"#)
    }
}
