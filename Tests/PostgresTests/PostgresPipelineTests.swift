import Foundation
import Postgres
import Reactor
import XCTest

final class PostgresPipelineTests: XCTestCase {
    var h: PoolHarness!

    override func setUpWithError() throws {
        h = try PoolHarness(url: try PGTestEnv.requireURL(), connections: 1)
        h.waitReady()
    }

    override func tearDown() { h?.stop() }

    func testTypesDecode() {
        nonisolated(unsafe) var got: [String] = []
        XCTAssertTrue(h.onLoop { pool, done in
            pool.query(S.types.rawValue, [.int(-9223372036854775807), .text("héllo \"q\" ✓"), .text("{\"a\": [1, 2]}"), .text("2026-11-27 12:34:56.5+02")],
                       deadline: pool.loop.now + .nanoseconds(5_000_000_000)) { r in
                guard case .success(let rows) = r else { XCTFail("\(r)"); return done() }
                XCTAssertEqual(rows.count, 1)
                XCTAssertEqual(rows.int(0, 0), -9223372036854775807)
                got.append(rows.string(0, 1))
                got.append(rows.string(0, 2))
                got.append(rows.timestampRFC3339(0, 3))
                XCTAssertTrue(rows.isNull(0, 4))
                XCTAssertFalse(rows.isNull(0, 5))
                XCTAssertGreaterThan(rows.timestampMicros(0, 5), 1_700_000_000_000_000)
                done()
            }
        })
        XCTAssertEqual(got, ["héllo \"q\" ✓", "{\"a\": [1, 2]}", "2026-11-27T10:34:56.500000Z"])
    }

    func testThousandQueriesInFlightOnOneConnectionReturnInOrder() {
        nonisolated(unsafe) var order: [Int64] = []
        XCTAssertTrue(h.onLoop(expect: 1000) { pool, done in
            for i in 0..<1000 {
                pool.query(S.echo.rawValue, [.int(Int64(i))], deadline: pool.loop.now + .nanoseconds(10_000_000_000)) { r in
                    if case .success(let rows) = r { order.append(rows.int(0, 0)) } else { order.append(-1) }
                    done()
                }
            }
        })
        XCTAssertEqual(order, (0..<1000).map(Int64.init))
    }

    func testErrorInsideABatchFailsOnlyItsOwnQuery() {
        let tag = uniqueTag("batch")
        nonisolated(unsafe) var results: [String] = []
        XCTAssertTrue(h.onLoop(expect: 6) { pool, done in
            let d = pool.loop.now + .nanoseconds(5_000_000_000)
            func record(_ name: String) -> PGCompletion {
                return { r in
                    switch r {
                    case .success(let rows): results.append("\(name)=\(rows.count > 0 ? rows.string(0, 0) : "ok")")
                    case .failure(let e): results.append("\(name)!\(e)")
                    }
                    done()
                }
            }
            // All six go out in one iteration, so in one batch under one Sync.
            pool.query(S.insertAudit.rawValue, [.text(tag), .int(1)], deadline: d, record("w1"))
            pool.query(S.divide.rawValue, [.int(4)], deadline: d, record("r1"))
            pool.query(S.divide.rawValue, [.int(0)], deadline: d, record("bad"))
            pool.query(S.divide.rawValue, [.int(5)], deadline: d, record("r2"))
            pool.query(S.insertAudit.rawValue, [.text(tag), .int(2)], deadline: d, record("w2"))
            pool.query(S.echo.rawValue, [.int(7)], deadline: d, record("r3"))
        })
        let byName = Dictionary(uniqueKeysWithValues: results.map { r -> (String, String) in
            let i = r.firstIndex { $0 == "=" || $0 == "!" }!
            return (String(r[..<i]), String(r[i...]))
        })
        XCTAssertEqual(byName["r1"], "=25")
        XCTAssertEqual(byName["r2"], "=20")
        XCTAssertEqual(byName["r3"], "=7")
        XCTAssertTrue(byName["bad"]?.hasPrefix("!server error 22012") ?? false, "\(results)")
        XCTAssertTrue(byName["w1"]?.hasPrefix("=") ?? false, "\(results)")
        XCTAssertTrue(byName["w2"]?.hasPrefix("=") ?? false, "\(results)")
        XCTAssertEqual(countRows(tag), 2, "each innocent write committed exactly once")
    }

    func testFailingWriteDoesNotTakeOthersDown() {
        let tag = uniqueTag("fk")
        nonisolated(unsafe) var outcomes: [Bool] = []
        XCTAssertTrue(h.onLoop(expect: 3) { pool, done in
            let d = pool.loop.now + .nanoseconds(5_000_000_000)
            for text in [tag, String(repeating: "x", count: 0), tag] {
                // The middle one violates NOT NULL via a NULL trace id.
                let p: [PGParam] = text.isEmpty ? [.null, .int(1)] : [.text(text), .int(1)]
                pool.query(S.insertAudit.rawValue, p, deadline: d) { r in
                    if case .success = r { outcomes.append(true) } else { outcomes.append(false) }
                    done()
                }
            }
        })
        XCTAssertEqual(outcomes.filter { $0 }.count, 2)
        XCTAssertEqual(countRows(tag), 2)
    }

    func testQueryDeadline() {
        nonisolated(unsafe) var err: PGError?
        XCTAssertTrue(h.onLoop { pool, done in
            pool.query(S.sleep.rawValue, [.text("0.5")], deadline: pool.loop.now + .nanoseconds(100_000_000)) { r in
                if case .failure(let e) = r { err = e }
                done()
            }
        })
        XCTAssertEqual(err, .timeout)
        // The connection is still usable after the late result arrives.
        nonisolated(unsafe) var v: Int64 = 0
        XCTAssertTrue(h.onLoop { pool, done in
            pool.query(S.echo.rawValue, [.int(42)], deadline: pool.loop.now + .nanoseconds(5_000_000_000)) { r in
                if case .success(let rows) = r { v = rows.int(0, 0) }
                done()
            }
        })
        XCTAssertEqual(v, 42)
    }

    func countRows(_ tag: String) -> Int64 {
        nonisolated(unsafe) var n: Int64 = -1
        _ = h.onLoop { pool, done in
            pool.query(S.countTrace.rawValue, [.text(tag)], deadline: pool.loop.now + .nanoseconds(5_000_000_000)) { r in
                if case .success(let rows) = r { n = rows.int(0, 0) }
                done()
            }
        }
        return n
    }
}
