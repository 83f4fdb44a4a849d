import Postgres
import Reactor
import Synchronization
import XCTest

/// The pool's wait queue is bounded, and a query whose deadline has passed is never sent.
/// No server is needed: the pool points at a port where nothing listens, so nothing gets ready.
final class PGPoolAdmissionTests: XCTestCase {
    private func withUnreadyPool(maxWaiting: Int, _ body: @escaping @Sendable (PGPool, EventLoop) -> Void) throws {
        var config = PGConfig()
        config.connectionsPerLoop = 1
        config.maxWaiting = maxWaiting
        config.reconnectMin = 1_000_000_000
        let params = try PGConnectParams.parse("postgresql://postgres@127.0.0.1:9/chain")
        let group = LoopGroup(count: 1)
        let c = config
        try group.start { loop in
            let pool = PGPool(loop: loop, config: c, params: params, statements: S.all)
            pool.logger = { _ in }
            pool.start()
            nonisolated(unsafe) let p = pool
            body(p, loop)
            loop.schedule(afterNanos: 300_000_000) { p.close(); loop.stop() }
        }
        XCTAssertTrue(group.wait(until: monotonicNanos() + 3_000_000_000))
    }

    func testWaitQueueIsBoundedAndRefusesAtOnce() throws {
        let outcomes = Mutex<[String]>([])
        try withUnreadyPool(maxWaiting: 2) { pool, loop in
            for i in 0..<3 {
                pool.query(S.echo.rawValue, [.int(Int64(i))], deadline: loop.now + 200_000_000) { r in
                    let what: String
                    switch r {
                    case .success: what = "ok"
                    case .failure(let e): what = "\(i):\(e == .overloaded ? "overloaded" : "other") at \(loop.now)"
                    }
                    outcomes.withLock { $0.append(what) }
                }
            }
            XCTAssertEqual(pool.stats.pending, 2)
        }
        let got = outcomes.withLock { $0 }
        XCTAssertEqual(got.count, 3)
        XCTAssertTrue(got.first?.hasPrefix("2:overloaded") ?? false, "the third query was not refused first: \(got)")
        XCTAssertEqual(got.filter { $0.contains("overloaded") }.count, 1)
    }

    func testQueryPastItsDeadlineIsNeverQueued() throws {
        let failed = Mutex<PGError?>(nil)
        try withUnreadyPool(maxWaiting: 8) { pool, loop in
            pool.query(S.echo.rawValue, [.int(1)], deadline: loop.now) { r in
                if case .failure(let e) = r { failed.withLock { $0 = e } }
            }
            XCTAssertEqual(pool.stats.pending, 0)
        }
        XCTAssertEqual(failed.withLock { $0 }, .unavailable)
    }
}
