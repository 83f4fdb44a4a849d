import ChainTestSupport
import Foundation
import Glibc
import Reactor
import Tracing
import Metrics
import OTLPExport
import XCTest
@testable import ChainServices

/// `Idempotency-Key` on POST /process (API.md "Retries, timeouts and idempotency") against the
/// test's PostgreSQL: one order and one audit row per key, whatever the retries.
final class ChainIdempotencyTests: XCTestCase {
    var chain: LiveChain!

    override func setUpWithError() throws { chain = try LiveChain() }
    override func tearDown() { chain?.stop() }

    private func fresh(_ prefix: String) -> (key: String, action: String) {
        let id = UUID().uuidString.prefix(13).lowercased()
        return ("k-\(prefix)-\(id)", "idem_\(prefix)_\(id)")
    }

    private func rows(_ action: String) -> (orders: Int, audits: Int) {
        (chain.count("SELECT count(*) FROM orders WHERE action = '\(action)'"),
         chain.count("SELECT count(*) FROM audit_logs WHERE action = '\(action)'"))
    }

    func testSameKeyTwiceReplaysTheFirstAnswerAndWritesOnce() throws {
        let (key, action) = fresh("seq")
        let body = #"{"user_id": 1001, "action": "\#(action)"}"#
        let (s1, b1) = try chain.post(body, headers: ["Idempotency-Key: \(key)"])
        XCTAssertEqual(s1, 200, b1)
        let (s2, b2) = try chain.post(body, headers: ["Idempotency-Key: \(key)"])
        XCTAssertEqual(s2, 200, b2)
        XCTAssertEqual(b2, b1, "same ids, same trace_id")
        XCTAssertEqual(rows(action).orders, 1)
        XCTAssertEqual(rows(action).audits, 1)
        // A different body with the key: 422; the key is unchanged by it.
        let (s3, b3) = try chain.post(#"{"user_id": 1002, "action": "\#(action)"}"#, headers: ["Idempotency-Key: \(key)"])
        XCTAssertEqual(s3, 422, b3)
        XCTAssertTrue(b3.contains(#""code":"idempotency_mismatch""#), b3)
        XCTAssertEqual(try chain.post(body, headers: ["Idempotency-Key: \(key)"]).1, b1)
        // Without the key the same body is a new order.
        XCTAssertEqual(try chain.post(body).0, 200)
        XCTAssertEqual(rows(action).orders, 2)

        // The replay is visible: the SERVER span's attribute and the counter.
        var replayed = 0
        var spans: [(ServiceName, ExportSpan)] = []
        eventually(timeout: .seconds(5)) {
            spans += chain.drainSpans()
            replayed = spans.filter { $0.0 == .user && $0.1.kind == .server && $0.1.attributes.contains(Attribute("chain.idempotency.replayed", true)) }.count
            return replayed >= 2
        }
        XCTAssertEqual(replayed, 2, "two replays, each marked on user-service's SERVER span")
        let m = chain.exposition(.user)
        XCTAssertTrue(m.contains(#"chain_idempotency_requests_total{service="user-service",outcome="replayed"} 2"#), m)
        XCTAssertTrue(m.contains(#"chain_idempotency_requests_total{service="user-service",outcome="mismatch"} 1"#), m)
    }

    func testFourXXIsReplayedAndInvalidKeysAreRefused() throws {
        let (key, _) = fresh("err")
        let (s1, b1) = try chain.post(#"{"user_id": 987654321, "action": "x"}"#, headers: ["Idempotency-Key: \(key)"])
        XCTAssertEqual(s1, 404, b1)
        let (s2, b2) = try chain.post(#"{"user_id": 987654321, "action": "x"}"#, headers: ["Idempotency-Key: \(key)"])
        XCTAssertEqual(s2, 404)
        XCTAssertEqual(b2, b1, "a 4xx is a completed outcome: replayed with its trace_id")
        for bad in ["", String(repeating: "a", count: 65), "has space", "dot.ted", "ü"] {
            let (s, b) = try chain.post(#"{"user_id": 1001, "action": "x"}"#, headers: ["Idempotency-Key: \(bad)"])
            XCTAssertEqual(s, 400, "key \(bad.debugDescription): \(b)")
            XCTAssertTrue(b.contains(#""code":"invalid_request""#) && b.contains("Idempotency-Key"), b)
        }
        XCTAssertEqual(try chain.post(#"{"user_id": 1001, "action": "x"}"#, headers: ["Idempotency-Key: " + String(repeating: "Z", count: 64)]).0, 200)
    }

    func testSameKeyConcurrentlyWritesOnce() throws {
        let (key, action) = fresh("conc")
        let body = #"{"user_id": 1003, "action": "\#(action)"}"#
        let c = chain!
        let results = concurrently(8) { _ in (try? c.post(body, headers: ["Idempotency-Key: \(key)"])) ?? (0, "") }
        let ok = results.filter { $0.0 == 200 }
        XCTAssertTrue(results.allSatisfy { $0.0 == 200 || $0.0 == 409 }, "\(results)")
        XCTAssertGreaterThanOrEqual(ok.count, 1)
        XCTAssertEqual(Set(ok.map(\.1)).count, 1, "every 200 is the same answer")
        for r in results where r.0 == 409 { XCTAssertTrue(r.1.contains(#""code":"idempotency_in_flight""#), r.1) }
        XCTAssertEqual(rows(action).orders, 1)
        XCTAssertEqual(rows(action).audits, 1)
    }

    /// A first attempt that fails (audit_logs locked past the deadline: 503, nothing committed)
    /// frees the key; the retry writes exactly once.
    func testRetryAfterA5xxWritesOnce() throws {
        let (key, action) = fresh("retry")
        let body = #"{"user_id": 1004, "action": "\#(action)"}"#
        let holder = try chain.holdLock("audit_logs", seconds: 2.5)
        let (s1, b1) = try chain.post(body, headers: ["Idempotency-Key: \(key)"])
        XCTAssertTrue([503, 504].contains(s1), "\(s1) \(b1)")
        XCTAssertEqual(chain.waitForRelease(holder), 0)
        let (s2, b2) = try chain.post(body, headers: ["Idempotency-Key: \(key)"])
        XCTAssertEqual(s2, 200, b2)
        XCTAssertEqual(try chain.post(body, headers: ["Idempotency-Key: \(key)"]).1, b2, "then replayed")
        XCTAssertEqual(rows(action).orders, 1)
        XCTAssertEqual(rows(action).audits, 1)
    }

    /// A key past its expiry is a new key (any body), and the cleanup statement deletes expired
    /// keys and token rows.
    func testExpiredKeyIsNewAndCleanupDeletesIt() throws {
        let (key, action) = fresh("exp")
        XCTAssertNotNil(chain.psql("""
            INSERT INTO idempotency_keys (key, request_hash, token, state, status, response, trace_id, claimed_at, expires_at)
            VALUES ('\(key)', 'old', 'old-token-\(key)', 'done', 200, '{}', 't', now() - interval '25 hours', now() - interval '1 hour')
            """))
        let (s1, b1) = try chain.post(#"{"user_id": 1008, "action": "\#(action)"}"#, headers: ["Idempotency-Key: \(key)"])
        XCTAssertEqual(s1, 200, b1)
        XCTAssertEqual(rows(action).orders, 1)
        XCTAssertEqual(chain.count("SELECT count(*) FROM idempotency_keys WHERE key = '\(key)' AND token <> 'old-token-\(key)' AND expires_at > now() + interval '23 hours'"), 1,
                       "claimed again with a new token and a new expiry")

        let (old, _) = fresh("gone")
        XCTAssertNotNil(chain.psql("""
            INSERT INTO idempotency_keys (key, request_hash, token, state, trace_id, expires_at) VALUES ('\(old)', 'h', 'tok-\(old)', 'done', 't', now() - interval '1 second');
            INSERT INTO idempotency_rows (service, token, row_id, expires_at) VALUES ('order', 'tok-\(old)', 0, now() - interval '1 second')
            """))
        XCTAssertNotNil(chain.psql(SQL.expireKeys.text.description))
        XCTAssertNotNil(chain.psql(SQL.expireRows.text.description.replacingOccurrences(of: "$1", with: "'order'")))
        XCTAssertEqual(chain.count("SELECT count(*) FROM idempotency_keys WHERE key = '\(old)'"), 0)
        XCTAssertEqual(chain.count("SELECT count(*) FROM idempotency_rows WHERE token = 'tok-\(old)'"), 0)
        XCTAssertEqual(chain.count("SELECT count(*) FROM idempotency_keys WHERE key = '\(key)'"), 1, "a live key stays")
    }
}
