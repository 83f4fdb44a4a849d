import Postgres
import Reactor
import Synchronization
import XCTest

/// The server stops a statement before the client's deadline (`PGConfig.serverTimeouts`), and a
/// write with too little of its deadline left is never sent (`PGConfig.minWriteBudget`).
final class PGServerTimeoutTests: XCTestCase {
    func testStatementTimeoutStopsTheStatementOnTheServerFirst() throws {
        let url = try PGTestEnv.requireURL()
        let h = try PoolHarness(url: url, connections: 1) { $0.serverTimeouts = (statement: 300, lock: 200, idleInTransaction: 5_000) }
        defer { h.stop() }
        h.waitReady(1)
        let got = Mutex<(PGError?, UInt64)>((nil, 0))
        let start = monotonicNanos()
        XCTAssertTrue(h.onLoop { pool, done in
            pool.query(S.sleep.rawValue, [.text("2")], deadline: pool.loop.now + .nanoseconds(2_000_000_000)) { r in
                if case .failure(let e) = r { got.withLock { $0 = (e, monotonicNanos() - start) } }
                done()
            }
        })
        let (error, took) = got.withLock { $0 }
        XCTAssertEqual(error?.kind, "57014", "the server's statement_timeout, not the client's deadline: \(String(describing: error))")
        XCTAssertLessThan(took, 1_500_000_000)
    }

    func testWriteWithTooLittleTimeLeftIsNotSent() throws {
        let url = try PGTestEnv.requireURL()
        let h = try PoolHarness(url: url, connections: 1) { $0.minWriteBudget = .nanoseconds(1_000_000_000) }
        defer { h.stop() }
        h.waitReady(1)
        let tag = uniqueTag("notsent")
        let got = Mutex<[String]>([])
        XCTAssertTrue(h.onLoop(expect: 2) { pool, done in
            pool.query(S.insertAudit.rawValue, [.text(tag), .int(1)], deadline: pool.loop.now + .nanoseconds(500_000_000)) { r in
                got.withLock { $0.append({ if case .failure(let e) = r { return e.kind }; return "ok" }()) }
                done()
            }
            pool.query(S.insertAudit.rawValue, [.text(tag), .int(2)], deadline: pool.loop.now + .nanoseconds(2_000_000_000)) { r in
                got.withLock { $0.append({ if case .failure(let e) = r { return e.kind }; return "ok" }()) }
                done()
            }
        })
        XCTAssertEqual(got.withLock { $0 }, ["not_sent", "ok"])
        nonisolated(unsafe) var rows = -1
        XCTAssertTrue(h.onLoop { pool, done in
            pool.query(S.countTrace.rawValue, [.text(tag)], deadline: pool.loop.now + .nanoseconds(2_000_000_000)) { r in
                if case .success(let res) = r { rows = Int(res.int(0, 0)) }
                done()
            }
        })
        XCTAssertEqual(rows, 1, "only the write with enough time left ran")
    }

    /// A write queued behind a slow batch on its connection starts too late for the server's
    /// limits to end it before its deadline: the deadline guard fails its batch, so it is not
    /// run (reported `.notSent`) instead of committing after the client gave up.
    func testWriteQueuedBehindASlowBatchIsStoppedByTheGuard() throws {
        let url = try PGTestEnv.requireURL()
        let h = try PoolHarness(url: url, connections: 1) { $0.minWriteBudget = .nanoseconds(1_600_000_000) }
        defer { h.stop() }
        h.waitReady(1)
        let tag = uniqueTag("guard")
        let got = Mutex<[String]>([])
        XCTAssertTrue(h.onLoop(expect: 2) { pool, done in
            pool.query(S.sleep.rawValue, [.text("1")], deadline: pool.loop.now + .nanoseconds(5_000_000_000)) { r in
                got.withLock { $0.append({ if case .failure(let e) = r { return "sleep " + e.kind }; return "sleep ok" }()) }
                done()
            }
            // Next loop iteration: a batch of its own, queued behind the sleep.
            _ = pool.loop.schedule(after: .nanoseconds(1_000_000)) {
                pool.query(S.insertAudit.rawValue, [.text(tag), .int(1)], deadline: pool.loop.now + .nanoseconds(2_000_000_000)) { r in
                    got.withLock { $0.append({ if case .failure(let e) = r { return "write " + e.kind }; return "write ok" }()) }
                    done()
                }
            }
        })
        XCTAssertEqual(got.withLock { $0 }, ["sleep ok", "write not_sent"])
        nonisolated(unsafe) var rows = -1
        XCTAssertTrue(h.onLoop { pool, done in
            pool.query(S.countTrace.rawValue, [.text(tag)], deadline: pool.loop.now + .nanoseconds(2_000_000_000)) { r in
                if case .success(let res) = r { rows = Int(res.int(0, 0)) }
                done()
            }
        })
        XCTAssertEqual(rows, 0, "the write never ran")
    }
}
