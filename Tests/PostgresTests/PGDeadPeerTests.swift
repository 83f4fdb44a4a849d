import ChainTestSupport
import Foundation
import Postgres
import Reactor
import XCTest

/// A server that vanished without a reset: the pool answers every query by its deadline, gives
/// the silent connections up within 10 s, and works again once the server is back.
final class PGDeadPeerTests: XCTestCase {
    func testConnectParamsAskTCPToDetectADeadPeer() throws {
        let p = try PGConnectParams.parse("postgresql://u@127.0.0.1:5432/db")
        XCTAssertEqual(p.get("keepalives"), "1")
        XCTAssertEqual(p.get("keepalives_idle"), "4")
        XCTAssertEqual(p.get("keepalives_interval"), "2")
        XCTAssertEqual(p.get("keepalives_count"), "2")
        XCTAssertEqual(p.get("tcp_user_timeout"), "8000")
        let own = try PGConnectParams.parse("postgresql://u@127.0.0.1:5432/db?keepalives_idle=30&tcp_user_timeout=0")
        XCTAssertEqual(own.get("keepalives_idle"), "30", "the URL's own settings win")
        XCTAssertEqual(own.get("tcp_user_timeout"), "0")
    }

    func testAFrozenPeerIsDetectedAndReplaced() throws {
        let url = try PGTestEnv.requireURL()
        let direct = try PGConnectParams.parse(url)
        guard let port = direct.get("port").flatMap(Int.init), direct.get("host")?.hasPrefix("/") != true else {
            throw XCTSkip("DATABASE_URL is not TCP with a port")
        }
        let proxy = try TCPProxy(targetPort: port)
        defer { proxy.stop() }
        let viaProxy = "host=127.0.0.1 port=\(proxy.port) user=\(direct.get("user") ?? "postgres") dbname=\(direct.get("dbname") ?? "chain") connect_timeout=2"
        let h = try PoolHarness(url: viaProxy, connections: 2) { $0.connectTimeout = .nanoseconds(2_000_000_000) }
        defer { h.stop() }
        h.waitReady(2)
        XCTAssertEqual(echo(h, 1, deadlineMs: 2000), "1")

        proxy.freeze()
        let frozenAt = monotonicNanos()
        // Queries on both connections: each answered by its deadline, not by the dead socket.
        nonisolated(unsafe) var answers: [(PGError?, UInt64)] = []
        XCTAssertTrue(h.onLoop(expect: 4) { pool, done in
            for i in 0..<4 {
                pool.query(S.echo.rawValue, [.int(Int64(i))], deadline: pool.loop.now + .nanoseconds(1_000_000_000)) { r in
                    if case .failure(let e) = r { answers.append((e, monotonicNanos())) } else { answers.append((nil, monotonicNanos())) }
                    done()
                }
            }
        })
        XCTAssertEqual(answers.map(\.0), Array(repeating: PGError.timeout, count: 4))
        for (_, at) in answers { XCTAssertLessThan(at - frozenAt, 1_500_000_000, "answered by the deadline") }

        // Both connections are given up within 10 s of the server going silent.
        eventually(timeout: .seconds(12)) { proxy.closedByClient >= 2 }
        let detectedAfter = monotonicNanos() - frozenAt
        XCTAssertGreaterThanOrEqual(proxy.closedByClient, 2, "the pool closed the silent connections")
        XCTAssertLessThan(detectedAfter, 10_000_000_000)
        print("dead peer: both connections given up \(detectedAfter / 1_000_000) ms after the server went silent")
        nonisolated(unsafe) var ready = -1
        _ = h.onLoop { pool, done in ready = pool.readyCount; done() }
        XCTAssertEqual(ready, 0, "no connection is offered while the server is silent")
        // With none ready, a query is still answered by its deadline.
        let t0 = monotonicNanos()
        XCTAssertEqual(echo(h, 2, deadlineMs: 500), "unavailable")
        XCTAssertLessThan(monotonicNanos() - t0, 1_000_000_000)

        // The server is back: fresh connections come up and work.
        proxy.thaw()
        h.waitReady(1)
        XCTAssertEqual(echo(h, 3, deadlineMs: 5000), "3")
    }

    /// The echo of `v`, or the error's kind.
    private func echo(_ h: PoolHarness, _ v: Int64, deadlineMs: UInt64) -> String {
        nonisolated(unsafe) var out = "no answer"
        _ = h.onLoop(timeoutMs: deadlineMs + 2000) { pool, done in
            pool.query(S.echo.rawValue, [.int(v)], deadline: pool.loop.now + .milliseconds(UInt64(deadlineMs))) { r in
                switch r {
                case .success(let rows): out = rows.string(0, 0)
                case .failure(let e): out = e.kind
                }
                done()
            }
        }
        return out
    }
}
