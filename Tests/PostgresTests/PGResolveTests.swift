import ChainTestSupport
import Foundation
import Postgres
import Reactor
import XCTest

/// The server moved (a recreated container gets a new address from Docker's DNS): after a
/// refused connect the pool looks its host name up again and connects to the new address.
final class PGResolveTests: XCTestCase {
    func testPoolLooksTheHostUpAgainAfterAFailedConnect() throws {
        let url = try PGTestEnv.requireURL()
        guard let port = URLComponents(string: url)?.port else { throw XCTSkip("DATABASE_URL without a port") }
        // "localhost" resolves to 127.0.0.1, where the test server listens; start from a stale
        // address on which nothing listens (127.0.0.2 is loopback too, but the server is not bound there).
        var params = try PGConnectParams.parse("postgresql://postgres@localhost:\(port)/chain?connect_timeout=2")
        XCTAssertTrue(params.resolvedFromHost)
        XCTAssertEqual(params.get("hostaddr"), "127.0.0.1")
        params.set("hostaddr", "127.0.0.2")

        let group = LoopGroup(count: 1)
        var config = PGConfig()
        config.connectionsPerLoop = 1
        config.reconnectMin = .nanoseconds(20_000_000)
        config.reconnectMax = .nanoseconds(100_000_000)
        nonisolated(unsafe) var pool: PGPool!
        let c = config, p = params
        try group.start { loop in
            pool = PGPool(loop: loop, config: c, params: p, statements: S.all)
            pool.logger = { _ in }
            pool.start()
        }
        defer {
            nonisolated(unsafe) let l = group.loops[0]
            l.execute { pool.close(); l.stop() }
            _ = group.wait(until: Instant.now() + .nanoseconds(3_000_000_000))
        }
        eventually(timeout: .seconds(10)) { pool != nil && pool.stats.ready > 0 }
        XCTAssertEqual(pool.stats.ready, 1, "connected after looking localhost up again")

        let got = Counter()
        nonisolated(unsafe) let l = group.loops[0]
        l.execute {
            pool.query(S.echo.rawValue, [.int(42)], deadline: l.now + .nanoseconds(2_000_000_000)) { r in
                if case .success(let rows) = r, rows.int(0, 0) == 42 { got.add() }
            }
        }
        eventually(timeout: .seconds(3)) { got.value > 0 }
        XCTAssertEqual(got.value, 1)
    }

    func testAnAddressTheUserGaveIsNotLookedUp() throws {
        let p = try PGConnectParams.parse("postgresql://postgres@localhost:5432/chain?hostaddr=127.0.0.9")
        XCTAssertFalse(p.resolvedFromHost)
        XCTAssertNil(p.resolvedHost)
        XCTAssertEqual(p.get("hostaddr"), "127.0.0.9")
    }
}
