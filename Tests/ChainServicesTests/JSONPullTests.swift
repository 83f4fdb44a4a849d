import XCTest
@testable import ChainServices
@testable import Tracing   // SplitMix64: seeded, so a failing mutation can be found again

/// The pull decoders (JSONPull.swift, Models+Pull.swift) against the tree ones they replace on
/// the services' paths: for every document here both reject it with the same error, or both
/// accept it and decode the same model. The documents are the services' real bodies, variants
/// that reach each rule by hand, and thousands of seeded random mutations of them.
final class JSONPullTests: XCTestCase {
    private static let user = User(id: 42, name: "Zoë \"Q\"", email: "z@example.com", tier: .gold)
    private static let order = Order(id: 7, pricing: Pricing.price(userId: 42, tier: .gold), userId: 42,
                                     action: "buy", traceId: String(repeating: "ab", count: 16), createdAt: "2026-11-30T00:00:00Z")
    private static let bodies: [[UInt8]] = [
        encodeAuditServiceRequest(user: user, order: order, action: "buy"),
        encodeOrderServiceRequest(user: user, action: "buy"),
        encodeProcessResponse(traceId: String(repeating: "0f", count: 16), user: user, order: order, audit: AuditRecord(id: 9)),
        Array(#"{"audit":{"id":9,"status":"recorded"}}"#.utf8),
    ]

    /// What each decoder made of a document: the error, or the decoded parts.
    private struct Outcome: Equatable {
        var error: JSONError?
        var isObject = false
        var user: User?, order: Order?, audit: AuditRecord?, action: String?
    }

    private func tree(_ doc: [UInt8]) -> Outcome {
        do {
            let v = try JSONReader.parse(doc)
            return Outcome(isObject: v.isObject, user: v["user"].flatMap(User.init(json:)),
                           order: v["order"].flatMap(Order.init(json:)), audit: v["audit"].flatMap(AuditRecord.init(json:)),
                           action: v["action"]?.stringValue)
        } catch { return Outcome(error: error) }
    }

    private func pull(_ doc: [UInt8]) -> Outcome {
        doc.withUnsafeBytes { raw -> Outcome in
            do throws(JSONError) {
                let b = try ChainBody.decode(raw)
                return Outcome(isObject: b.isObject, user: b.user, order: b.order, audit: b.audit, action: b.action)
            } catch { return Outcome(error: error) }
        }
    }

    private func same(_ doc: [UInt8], _ note: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(pull(doc), tree(doc), "\(note) \(String(decoding: doc, as: UTF8.self))", file: file, line: line)
    }

    func testTheServicesBodiesDecodeAsBefore() throws {
        for body in Self.bodies { same(body) }
        let audit = pull(Self.bodies[0])
        XCTAssertEqual(audit.user, Self.user)
        XCTAssertEqual(audit.order, Self.order)
        XCTAssertEqual(audit.action, "buy")
    }

    func testEachRuleByHand() {
        let docs = [
            "", " ", "[]", "3", "\"x\"", "{}", " { } ", "{} x", "{\"user\":", "{\"user\" 1}", "{\"user\":1,}", "{,}",
            // wrong types: a required member makes its model nil, an optional one is left out
            #"{"user":{"id":"1","name":"a","email":"b","tier":"gold"}}"#,
            #"{"user":{"id":1.5,"name":"a","email":"b","tier":"gold"}}"#,
            #"{"user":{"id":1,"name":"a","email":"b","tier":"platinum"}}"#,
            #"{"user":{"id":1,"name":"a","email":"b"}}"#, #"{"user":[]}"#, #"{"user":null}"#,
            #"{"order":{"id":1,"items":[],"subtotal_cents":0,"discount_cents":0,"tax_cents":0,"total_cents":0,"user_id":"x","action":5}}"#,
            #"{"order":{"id":1,"items":[{"sku":"a","quantity":1,"unit_price_cents":2},3],"subtotal_cents":0,"discount_cents":0,"tax_cents":0,"total_cents":0}}"#,
            #"{"order":{"id":1,"items":{},"subtotal_cents":0,"discount_cents":0,"tax_cents":0,"total_cents":0}}"#,
            #"{"order":{"id":99999999999999999999,"items":[],"subtotal_cents":0,"discount_cents":0,"tax_cents":0,"total_cents":0}}"#,
            #"{"order":{"id":-9223372036854775808,"items":[],"subtotal_cents":0,"discount_cents":0,"tax_cents":0,"total_cents":0}}"#,
            // the last of a name counts, whichever of them is good
            #"{"action":"a","action":"b"}"#, #"{"action":"a","action":1}"#, #"{"action":1,"action":"b"}"#,
            #"{"audit":{"id":1,"status":"x","id":"2"}}"#, #"{"audit":{"id":"1","status":"x","id":2}}"#,
            // names with escapes and beyond ASCII, and names that only start like a known one
            #"{"\u0061ction":"esc","audit":{"\u0069d":3,"st\u0061tus":"ok"}}"#,
            "{\"actioné\":\"x\",\"é\":1,\"action\":\"y\"}", #"{"actions":"x","actio":"y","":1}"#,
            // unknown members of every kind, deep ones included
            #"{"x":{"y":[1,{"z":null}],"w":"\ud83d\ude00"},"action":"k","n":-0.5e3,"t":true}"#,
            "{\"x\":" + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}",
            "{\"x\":" + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}",
            "{\"user\":{\"x\":" + String(repeating: "{\"a\":", count: 62) + "1" + String(repeating: "}", count: 62) + "}}",
            "{\"user\":{\"x\":" + String(repeating: "{\"a\":", count: 63) + "1" + String(repeating: "}", count: 63) + "}}",
            // invalid strings and numbers inside skipped and decoded values
            #"{"x":"\q"}"#, #"{"action":"\ud800"}"#, "{\"action\":\"a\u{1}\"}", #"{"x":01}"#, #"{"audit":{"id":-}}"#,
            "{\"x\":\"\u{FF}\"}", #"{"x":tru}"#, #"{"action" : "a" , "user" : { } }"#,
        ]
        for d in docs { same(Array(d.utf8)) }
        same([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], "invalid UTF-8 in a name")
    }

    /// Seeded mutations of the real bodies: bytes replaced, dropped or doubled, so both readers
    /// meet broken documents at every place and valid ones with members of every wrong type.
    func testRandomMutationsAgree() {
        var rng = SplitMix64(state: 0x5eed_1234)
        let alphabet = Array("\"{}[],:0123456789-.eEtrufalsn \\u\t".utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]
        var accepted = 0
        for body in Self.bodies {
            for _ in 0..<1500 {
                var doc = body
                for _ in 0..<Int(rng.next() % 3 + 1) {
                    let i = Int(rng.next() % UInt64(doc.count))
                    switch rng.next() % 3 {
                    case 0: doc[i] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    case 1: doc.remove(at: i)
                    default: doc.insert(doc[i], at: i)
                    }
                    if doc.isEmpty { doc = [0x20] }
                }
                if tree(doc).error == nil { accepted += 1 }
                same(doc, "mutation of body")
            }
        }
        XCTAssertGreaterThan(accepted, 100, "the mutations should leave some documents valid")
    }
}
