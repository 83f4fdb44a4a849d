import ChainTestSupport
import Foundation
import Glibc
import HTTP1
import Postgres
import Reactor
import Synchronization
import XCTest

final class PostgresFaultTests: XCTestCase {
    /// Answered at its deadline, not after libpq's connect_timeout or the pool's backoffs.
    func testConnectionRefusedFailsFastWithUnavailable() throws {
        let h = try PoolHarness(url: "postgresql://postgres@127.0.0.1:1/chain?connect_timeout=1", connections: 1, clock: ManualClock())
        defer { h.stop() }
        let err = Mutex<PGError?>(nil)
        _ = h.onLoop(expect: 0) { pool, _ in
            pool.query(S.echo.rawValue, [.int(1)], deadline: pool.loop.now + .milliseconds(300)) { r in
                if case .failure(let e) = r { err.withLock { $0 = e } }
            }
        }
        h.advance(by: .milliseconds(299))
        XCTAssertNil(err.withLock { $0 })
        h.advance(by: .milliseconds(1))
        XCTAssertEqual(err.withLock { $0 }, .unavailable)
    }

    /// pg_ctl restart -m fast in the middle of a stream of inserts: the pool reconnects, failed
    /// inserts report errors, and no insert that reported success is lost or doubled.
    func testServerRestartDuringAStreamOfWrites() throws {
        let url = try PGTestEnv.requireURL()
        guard let dir = PGTestEnv.dir else { throw XCTSkip("PG_TEST_DIR not set") }
        let h = try PoolHarness(url: url, connections: 2)
        defer { h.stop() }
        h.waitReady(2)
        let tagPrefix = uniqueTag("restart")
        let total = 3000
        let ok = Counter(), failed = Counter()
        nonisolated(unsafe) var succeeded: [Int] = []
        // One insert per millisecond-ish, spread over the restart.
        // Started without waiting: the restart below happens while the stream runs.
        _ = h.onLoop(expect: 0) { pool, done in
            var i = 0
            func next() {
                guard i < total else { return }
                let n = i
                i += 1
                pool.query(S.insertAudit.rawValue, [.text("\(tagPrefix)-\(n)"), .int(Int64(n))],
                           deadline: pool.loop.now + .nanoseconds(5_000_000_000)) { r in
                    if case .success = r { ok.add(); succeeded.append(n) } else { failed.add() }
                }
                if i % 10 == 0 { pool.loop.schedule(after: .nanoseconds(1_000_000)) { next() } } else { next() }
            }
            next()
        }
        XCTAssertTrue(eventually(timeout: .seconds(5)) { ok.value > 0 }, "the stream is under way")
        XCTAssertEqual(runCommand(["bash", "scripts/pg.sh", "restart", dir]), 0)
        eventually(timeout: .seconds(30)) { ok.value + failed.value == total }
        XCTAssertEqual(ok.value + failed.value, total, "every insert got an answer")
        // How many commit depends on where in the stream the restart lands (1,500 to 2,950 of
        // 3,000 seen): what matters is that some did and that every success has its row (below).
        XCTAssertGreaterThan(ok.value, 0)

        // Check the table through the reconnected pool.
        h.waitReady(1)
        nonisolated(unsafe) var rows: [Int: Int] = [:]
        XCTAssertTrue(h.onLoop { pool, done in
            pool.query(S.countByUser.rawValue, [.text("\(tagPrefix)-%")], deadline: pool.loop.now + .nanoseconds(5_000_000_000)) { r in
                if case .success(let res) = r {
                    for i in 0..<res.count { rows[Int(res.int(i, 0))] = Int(res.int(i, 1)) }
                }
                done()
            }
        })
        XCTAssertTrue(rows.values.allSatisfy { $0 == 1 }, "no insert doubled")
        for n in succeeded { XCTAssertEqual(rows[n], 1, "insert \(n) reported success, so its row exists") }
        print("restart test: \(ok.value) committed, \(failed.value) failed with an error, \(rows.count) rows")
    }

    /// A slow query occupies the database, not the loop: HTTP on the same loop keeps answering.
    func testLoopServesHTTPWhileTheDatabaseIsSlow() throws {
        let url = try PGTestEnv.requireURL()
        let params = try PGConnectParams.parse(url)
        let router = Router()
        nonisolated(unsafe) var pool: PGPool!
        router.add(.GET, "/health") { _, r in r.respond(status: 200, body: "{\"status\":\"ok\"}") }
        router.add(.GET, "/sleep") { _, r in
            pool.query(S.sleep.rawValue, [.text("1.0")], deadline: r.loop.now + .nanoseconds(5_000_000_000)) { res in
                if case .success = res { r.respond(status: 200, body: "{\"slept\":true}") } else { r.respond(status: 503, body: "{}") }
            }
        }
        var config = ServerConfig()
        config.host = "127.0.0.1"
        config.port = 0
        let group = LoopGroup(count: 1)
        let server = try HTTPServer(config: config, router: router, group: group)
        let pgConfig = PGConfig()
        // Made here so that this thread can watch the pool (readable from any thread).
        let stats = PGPoolStats(configured: max(1, pgConfig.connectionsPerLoop))
        try group.start { loop in
            pool = PGPool(loop: loop, config: pgConfig, params: params, statements: S.all, stats: stats)
            pool.logger = { _ in }
            pool.start()
            server.start(on: loop)
        }
        defer {
            server.shutdown(group) { $0.stop() }
            _ = group.wait(until: Instant.now() + .nanoseconds(3_000_000_000))
        }
        func waitFor(_ what: String, _ condition: () -> Bool) {
            XCTAssertTrue(eventually(timeout: .seconds(10), condition), "not within 10 s: \(what)")
        }
        waitFor("a database connection ready") { stats.ready >= 1 }
        let slow = try rawGET(port: server.port, path: "/sleep")
        // The slow query has left the pool's queue for a connection: the database is busy with it.
        waitFor("the slow query sent to the database") { stats.inFlight == 1 && stats.pending == 0 }
        var worst: UInt64 = 0
        for _ in 0..<10 {
            let t0 = monotonicNanos()
            let c = try rawGET(port: server.port, path: "/health")
            XCTAssertTrue(ChainProcess.readAll(c).contains("200 OK"))
            close(c)
            worst = max(worst, monotonicNanos() - t0)
        }
        XCTAssertLessThan(worst, 200_000_000, "health answered while the database slept")
        XCTAssertTrue(ChainProcess.readAll(slow).contains("{\"slept\":true}"))
        close(slow)
    }

    private func rawGET(port: Int, path: String) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: port)
        _ = withUnsafeBytes(of: addr.storage) { connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), addr.length) }
        let req = Array("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
        _ = req.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        return fd
    }
}
