import Foundation
import Glibc
import OTLPExport
import Postgres
import Reactor
import XCTest
@testable import ChainServices

/// Concurrent chains on one loop with one connection per pool: their `SELECT users`,
/// `INSERT orders` and `INSERT audit_logs` meet in pipeline batches and go as multi-row
/// statements (`SQL.multiRow`). Each request still gets its own rows, its spans say which
/// statement ran, and a row the database refuses fails only its own request.
final class ChainMultiRowTests: XCTestCase {
    var chain: LiveChain!

    override func setUpWithError() throws { chain = try LiveChain() }
    override func tearDown() { chain?.stop() }

    static let dbSpans: [String: SQL] = ["SELECT users": .selectUser, "INSERT orders": .insertOrder, "INSERT audit_logs": .insertAudit]

    func testConcurrentChainsShareStatementsAndEachGetsItsOwnRows() throws {
        let c = chain!
        var batched: Set<String> = []
        // Whether requests meet in one loop iteration is up to the scheduler: a few rounds.
        for round in 0..<6 where batched.count < 3 {
            let n = 32
            let results = concurrently(n) { i -> (Int, String) in
                // Every eighth asks for a user that does not exist: no row for it in the ANY read.
                let user = i % 8 == 7 ? 900_000_000 + i : 3001 + i
                return (try? c.post(#"{"user_id": \#(user), "action": "multirow_\#(round)"}"#)) ?? (0, "")
            }
            var traces: [String: Int] = [:]
            for (i, (status, body)) in results.enumerated() {
                if i % 8 == 7 {
                    XCTAssertEqual(status, 404, body)
                    XCTAssertTrue(body.contains(#""code":"user_not_found""#), body)
                    continue
                }
                XCTAssertEqual(status, 200, body)
                let v = try JSONReader.parse(Array(body.utf8))
                let trace = try XCTUnwrap(v["trace_id"]?.stringValue)
                XCTAssertEqual(v["user"]?["id"]?.intValue, Int64(3001 + i))
                XCTAssertEqual(v["user"]?["name"]?.stringValue, "User \(3001 + i)")
                let orderID = try XCTUnwrap(v["order"]?["id"]?.intValue)
                let total = try XCTUnwrap(v["order"]?["total_cents"]?.intValue)
                let auditID = try XCTUnwrap(v["audit"]?["id"]?.intValue)
                // The rows behind the ids this request got are this request's.
                XCTAssertEqual(c.psql("SELECT user_id, total_cents, trace_id, action FROM orders WHERE id = \(orderID)"),
                               "\(3001 + i)|\(total)|\(trace)|multirow_\(round)")
                XCTAssertEqual(c.psql("SELECT order_id, user_id, trace_id FROM audit_logs WHERE id = \(auditID)"),
                               "\(orderID)|\(3001 + i)|\(trace)")
                traces[trace] = i
            }
            // Every chain has its three database spans, each naming the statement that ran.
            var found: [String: Set<String>] = [:]
            let deadline = monotonicNanos() + 5_000_000_000
            while found.values.reduce(0, { $0 + $1.count }) < traces.count * 3 && monotonicNanos() < deadline {
                for (_, span) in c.drainSpans() {
                    guard let sql = Self.dbSpans[span.name] else { continue }
                    let trace = String(format: "%016llx%016llx", span.traceID.0, span.traceID.1)
                    guard traces[trace] != nil else { continue }
                    found[trace, default: []].insert(span.name)
                    let text = span.attributes.first { $0.key == "db.query.text" }?.value
                    let size = span.attributes.first { $0.key == "db.operation.batch.size" }?.value
                    if case .int(let n)? = size {
                        XCTAssertGreaterThan(n, 1)
                        XCTAssertEqual(text, .string(sql.multiRow!.text.description), span.name)
                        batched.insert(span.name)
                    } else {
                        XCTAssertNil(size)
                        XCTAssertEqual(text, .string(sql.text.description), span.name)
                    }
                }
                usleep(2_000)
            }
            for (trace, _) in traces {
                XCTAssertEqual(found[trace], Set(Self.dbSpans.keys), "the database spans of \(trace)")
            }
        }
        XCTAssertEqual(batched, Set(Self.dbSpans.keys), "each of the three statements ran coalesced at least once")
    }

    /// order-service called directly, concurrently, some orders for users that do not exist: the
    /// foreign key refuses those rows alone (400), the others commit (200).
    func testAnOrderTheDatabaseRefusesFailsAloneAmongConcurrentOrders() throws {
        let c = chain!
        let tag = "badorder_\(UInt32.random(in: 0...UInt32.max))"
        let n = 24
        let results = concurrently(n) { i -> (Int, String) in
            let id = i % 4 == 1 ? 987_000_000 + i : 4001 + i
            let body = #"{"user": {"id": \#(id), "name": "U", "email": "u@example.com", "tier": "standard"}, "action": "\#(tag)"}"#
            return (try? c.exchange(.order, "POST /process HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")) ?? (0, "")
        }
        for (i, (status, body)) in results.enumerated() {
            if i % 4 == 1 {
                XCTAssertEqual(status, 400, body)
                XCTAssertTrue(body.contains(#""code":"invalid_request""#), body)
            } else {
                XCTAssertEqual(status, 200, body)
            }
        }
        XCTAssertEqual(c.count("SELECT count(*) FROM orders WHERE action = '\(tag)'"), n - n / 4)
        XCTAssertEqual(c.count("SELECT count(DISTINCT user_id) FROM orders WHERE action = '\(tag)'"), n - n / 4)
        XCTAssertEqual(c.count("SELECT count(*) FROM audit_logs WHERE action = '\(tag)'"), n - n / 4)
    }
}
