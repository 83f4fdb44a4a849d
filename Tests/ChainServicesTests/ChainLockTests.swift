import Foundation
import Glibc
import XCTest
@testable import ChainServices

/// A lock held past every deadline on each table of the chain, under concurrent requests
/// (API.md "Retries, timeouts and idempotency"): a 502/503 has committed nothing anywhere; a 504
/// may have; a 200 has all its rows. And the server stops what waited: once the lock is gone,
/// no statement that outlived its deadline commits late.
final class ChainLockTests: XCTestCase {
    var chain: LiveChain!

    override func setUpWithError() throws { chain = try LiveChain() }
    override func tearDown() { chain?.stop() }

    func testLockOnUsers() throws { try lockPastTheDeadline("users") }
    func testLockOnOrders() throws { try lockPastTheDeadline("orders") }
    func testLockOnAuditLogs() throws { try lockPastTheDeadline("audit_logs") }

    struct Outcome { let status: Int; let body: String; let action: String; let createdUser: Int64? }

    private func lockPastTheDeadline(_ table: String) throws {
        let tag = "lock_\(table)_\(UUID().uuidString.prefix(8).lowercased())"
        let base = Int64.random(in: 10_000_000_000...90_000_000_000)
        let c = chain!
        // The lock outlives every budget a statement of these requests has (2 s on the client,
        // 1 s lock_timeout and 1.5 s statement_timeout on the server), with room for the batches
        // queued behind a blocked one on the same connection.
        // The users this test created (a 504 may leave them) go at the end, with their rows:
        // other tests read the users table to its last page.
        defer {
            let range = "BETWEEN \(base) AND \(base + 100)"
            _ = chain.psql("DELETE FROM audit_logs WHERE user_id \(range); DELETE FROM orders WHERE user_id \(range); DELETE FROM users WHERE id \(range)")
        }
        let holder = try chain.holdLock(table, seconds: 5)
        let n = 16
        let outcomes = concurrently(n) { i -> Outcome in
            let action = "\(tag)_\(i)"
            // Half of them create their user: a write at user-service too.
            let created: Int64? = i % 2 == 0 ? nil : base + Int64(i)
            let body = created.map { #"{"user_id": \#($0), "action": "\#(action)", "user_name": "Lock Test", "user_email": "lock@example.com"}"# }
                ?? #"{"user_id": 1001, "action": "\#(action)"}"#
            let (status, text) = (try? c.post(body)) ?? (0, "")
            return Outcome(status: status, body: text, action: action, createdUser: created)
        }
        XCTAssertEqual(chain.waitForRelease(holder), 0, "the lock holder committed")
        // Whatever was still queued in PostgreSQL runs now: wait until the chain's connections
        // are idle before counting.
        try LiveChain.waitUntil("the chain's connections idle", timeout: 10_000_000_000) {
            c.count("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '%-service' AND state NOT IN ('idle')") == 0
        }
        // After the release the chain works again: these must succeed, with their rows.
        let after = (0..<3).map { i -> Outcome in
            let action = "\(tag)_after_\(i)"
            let (status, text) = (try? c.post(#"{"user_id": 1002, "action": "\#(action)"}"#)) ?? (0, "")
            return Outcome(status: status, body: text, action: action, createdUser: nil)
        }

        var byStatus: [Int: Int] = [:]
        var lateCommits: [String] = []
        for o in outcomes + after {
            byStatus[o.status, default: 0] += 1
            let orders = chain.count("SELECT count(*) FROM orders WHERE action = '\(o.action)'")
            let audits = chain.count("SELECT count(*) FROM audit_logs WHERE action = '\(o.action)'")
            let users = o.createdUser.map { chain.count("SELECT count(*) FROM users WHERE id = \($0)") } ?? 0
            switch o.status {
            case 200:
                XCTAssertEqual(orders, 1, "200 \(o.action) has its order")
                XCTAssertEqual(audits, 1, "200 \(o.action) has its audit row")
                if o.createdUser != nil { XCTAssertEqual(users, 1, "200 \(o.action) has its user") }
            case 502, 503:
                XCTAssertEqual(orders + audits + users, 0, "\(o.status) \(o.action) promised nothing committed: orders \(orders), audit_logs \(audits), users \(users); \(o.body)")
            case 504:
                break   // the outcome is unknown: any rows are allowed
            default:
                XCTFail("\(o.action): unexpected status \(o.status) \(o.body)")
            }
            // The server stopped every statement that waited on the lock past its deadline: no
            // failed request has a row in the locked table (a 504 may have rows elsewhere,
            // written before the lock mattered).
            let locked = table == "orders" ? orders : table == "audit_logs" ? audits : users
            if o.status >= 500 && locked > 0 { lateCommits.append("\(o.status) \(o.action)") }
        }
        XCTAssertEqual(lateCommits, [], "statements that outlived their deadline committed after the lock was released")
        XCTAssertEqual(after.map(\.status), [200, 200, 200], after.map(\.body).joined(separator: "\n"))
        print("lock on \(table): \(byStatus.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))")
    }
}
