import ChainTestSupport
import Foundation
import Postgres
import Reactor
import XCTest

/// The pool's occupancy counters, read from the test thread the way a metrics scrape reads them.
final class PGPoolStatsTests: XCTestCase {
    func testReadyAndInFlightFollowThePool() throws {
        let h = try PoolHarness(url: try PGTestEnv.requireURL(), connections: 2)
        defer { h.stop() }
        h.waitReady(2)
        let stats = h.pool.stats
        XCTAssertEqual(stats.configured, 2)
        XCTAssertEqual(stats.ready, 2)
        XCTAssertEqual(stats.inFlight, 0)

        // Ten slow queries: all counted in flight while they run, none pending (connections are ready).
        nonisolated(unsafe) var seenInFlight = -1, seenPending = -1
        let finished = Counter()
        XCTAssertTrue(h.onLoop { pool, done in
            for _ in 0..<10 {
                pool.query(S.sleep.rawValue, [.text("0.2")], deadline: pool.loop.now + .nanoseconds(5_000_000_000)) { _ in finished.add() }
            }
            seenInFlight = pool.stats.inFlight
            seenPending = pool.stats.pending
            done()
        })
        XCTAssertEqual(seenInFlight, 10)
        XCTAssertEqual(seenPending, 0)
        eventually(timeout: .seconds(5)) { finished.value == 10 }   // pg_sleep: the server's own time
        XCTAssertEqual(finished.value, 10)
        XCTAssertEqual(stats.inFlight, 0, "every completed query leaves the in-flight count")
    }

    func testQueriesWithoutAConnectionArePendingUntilTheirDeadline() throws {
        let h = try PoolHarness(url: "postgresql://postgres@127.0.0.1:1/chain?connect_timeout=1", connections: 1, clock: ManualClock())
        defer { h.stop() }
        h.loop.settle()   // the pool has tried to connect (refused)
        let stats = h.pool.stats
        XCTAssertEqual(stats.ready, 0)
        let failed = Counter()
        XCTAssertTrue(h.onLoop { pool, done in
            for _ in 0..<3 {
                pool.query(S.echo.rawValue, [.int(1)], deadline: pool.loop.now + .nanoseconds(300_000_000)) { r in
                    if case .failure(.unavailable) = r { failed.add() }
                }
            }
            done()
        })
        XCTAssertEqual(stats.pending, 3)
        XCTAssertEqual(stats.inFlight, 3)
        h.advance(by: .milliseconds(299))
        XCTAssertEqual(failed.value, 0)
        h.advance(by: .milliseconds(1))
        XCTAssertEqual(failed.value, 3)
        XCTAssertEqual(stats.pending, 0)
        XCTAssertEqual(stats.inFlight, 0)
    }
}
