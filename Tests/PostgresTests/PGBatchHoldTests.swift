import Postgres
import Reactor
import Synchronization
import XCTest

/// `PGConfig.maxBatchesInFlight`: while a connection's batch is on the server, what arrives
/// waits in the connection and goes out as one batch when the answer comes; a query that waits
/// past its deadline fails without having been sent. On two connections, `PGConfig.gatherWindow`:
/// queries gather behind the batch in flight instead of going to the idle connection, and move
/// to it when the server stays silent past the window.
final class PGBatchHoldTests: XCTestCase {
    var h: PoolHarness!

    override func tearDown() { h?.stop() }

    func start(batchesInFlight: Int, minWriteBudget: TimeAmount = .zero) throws {
        h = try PoolHarness(url: try PGTestEnv.requireURL(), connections: 1) {
            $0.maxBatchesInFlight = batchesInFlight
            $0.minWriteBudget = minWriteBudget
        }
        h.waitReady()
    }

    /// Two connections, both ready, with `PGConfig.gatherWindow` = `gatherMs`.
    func startTwo(gatherMs: UInt64) throws {
        h = try PoolHarness(url: try PGTestEnv.requireURL(), connections: 2) { $0.gatherWindow = .milliseconds(gatherMs) }
        h.waitReady(2)
        XCTAssertEqual(h.readyCount, 2)
    }

    struct Seen { var outcome: String; var batchSize: Int?; var afterMs: Int }

    /// A sleep (0.3 s) goes out first; five writes follow, 20 ms apart (or at `atMs`), while it runs.
    func writesBehindASleep(_ tag: String, sleep seconds: String = "0.3", writeDeadlineMs: Int = 5_000,
                            atMs: [UInt64] = [20, 40, 60, 80, 100]) -> (sleep: String, writes: [Seen]) {
        let sleep = Mutex("")
        let writes = Mutex<[Seen]>([])
        XCTAssertTrue(h.onLoop(expect: 1 + atMs.count) { pool, done in
            let start = pool.loop.now
            pool.query(S.sleep.rawValue, [.text(seconds)], deadline: start + .seconds(5)) { r in
                sleep.withLock { $0 = { if case .failure(let e) = r { return e.kind }; return "ok" }() }
                done()
            }
            for (i, ms) in atMs.enumerated() {
                _ = pool.loop.schedule(after: .milliseconds(ms)) {
                    pool.query(S.insertAuditRows.rawValue, [.text(tag), .int(Int64(i)), .text("{}")],
                               deadline: pool.loop.now + .milliseconds(UInt64(writeDeadlineMs))) { r, run in
                        let outcome: String = { if case .failure(let e) = r { return e.kind }; return "ok" }()
                        let ms = Int((pool.loop.now - start).nanoseconds / 1_000_000)
                        writes.withLock { $0.append(Seen(outcome: outcome, batchSize: run.batchSize, afterMs: ms)) }
                        done()
                    }
                }
            }
        })
        return (sleep.withLock { $0 }, writes.withLock { $0 })
    }

    func rowsTagged(_ tag: String) -> Int {
        let n = Mutex(-1)
        XCTAssertTrue(h.onLoop { pool, done in
            pool.query(S.countTrace.rawValue, [.text(tag)], deadline: pool.loop.now + .seconds(5)) { r in
                if case .success(let rows) = r { n.withLock { $0 = Int(rows.string(0, 0)) ?? -1 } }
                done()
            }
        })
        return n.withLock { $0 }
    }

    /// They go to an idle connection, so they need no deadline guard: the batch starts on arrival.
    func testWritesArrivingWhileABatchIsOnTheServerGoAsTheNextBatchTogether() throws {
        try start(batchesInFlight: 1, minWriteBudget: .milliseconds(1_000))
        let tag = uniqueTag("hold")
        let before = h.pool.stats.multiRowStatements
        let guards = h.pool.stats.deadlineGuards
        let (sleep, writes) = writesBehindASleep(tag)
        XCTAssertEqual(sleep, "ok")
        XCTAssertEqual(writes.map(\.outcome), ["ok", "ok", "ok", "ok", "ok"])
        XCTAssertEqual(writes.map(\.batchSize), [5, 5, 5, 5, 5], "one statement for the five")
        XCTAssertEqual(h.pool.stats.multiRowStatements - before, 1)
        XCTAssertEqual(h.pool.stats.deadlineGuards - guards, 0)
        for w in writes { XCTAssertGreaterThanOrEqual(w.afterMs, 300, "sent after the sleep's batch was answered") }
        XCTAssertEqual(rowsTagged(tag), 5)
    }

    /// Each queued behind the sleep's batch on the server: each batch needs its guard.
    func testWithoutALimitEachIterationsWritesGoOutAtOnce() throws {
        try start(batchesInFlight: 0, minWriteBudget: .milliseconds(1_000))
        let tag = uniqueTag("nohold")
        let before = h.pool.stats.multiRowStatements
        let guards = h.pool.stats.deadlineGuards
        let (sleep, writes) = writesBehindASleep(tag)
        XCTAssertEqual(sleep, "ok")
        XCTAssertEqual(writes.map(\.outcome), ["ok", "ok", "ok", "ok", "ok"])
        XCTAssertEqual(writes.map(\.batchSize), [1, 1, 1, 1, 1], "a batch per iteration")
        XCTAssertEqual(h.pool.stats.multiRowStatements, before)
        XCTAssertEqual(h.pool.stats.deadlineGuards - guards, 5)
        XCTAssertEqual(rowsTagged(tag), 5)
    }

    /// Held past their deadline (100 ms, due at 120-200 ms; the sleep takes 1 s): they fail
    /// when it passes, as not sent, and nothing of them is ever written.
    func testWritesHeldPastTheirDeadlineFailUnsent() throws {
        try start(batchesInFlight: 1)
        let tag = uniqueTag("heldlate")
        let (sleep, writes) = writesBehindASleep(tag, sleep: "1", writeDeadlineMs: 100)
        XCTAssertEqual(sleep, "ok")
        XCTAssertEqual(writes.map(\.outcome), ["not_sent", "not_sent", "not_sent", "not_sent", "not_sent"])
        for w in writes { XCTAssertLessThan(w.afterMs, 900, "failed at their deadline, not when the batch came back") }
        usleep(100_000)
        XCTAssertEqual(rowsTagged(tag), 0)
    }

    /// Writes left with less than `minWriteBudget` when their held batch could go fail there,
    /// unsent: nothing of them reaches the server.
    func testAHeldBatchWhoseWritesLostTheirBudgetRunsNothing() throws {
        try start(batchesInFlight: 1, minWriteBudget: .milliseconds(1_000))
        let tag = uniqueTag("heldbudget")
        let before = h.pool.stats.multiRowStatements
        let guards = h.pool.stats.deadlineGuards
        // Due to go at ~0.3 s with deadlines 1.1-1.2 s: less than the 1 s budget left.
        let (sleep, writes) = writesBehindASleep(tag, writeDeadlineMs: 1_100)
        XCTAssertEqual(sleep, "ok")
        XCTAssertEqual(writes.map(\.outcome), ["not_sent", "not_sent", "not_sent", "not_sent", "not_sent"])
        for w in writes { XCTAssertGreaterThanOrEqual(w.afterMs, 300, "failed when the batch could go") }
        XCTAssertEqual(h.pool.stats.multiRowStatements, before, "never sent")
        XCTAssertEqual(h.pool.stats.deadlineGuards, guards)
        XCTAssertEqual(rowsTagged(tag), 0)
    }

    /// A write that is not held (no multi-row form) while a batch is on the server is queued
    /// behind it, guarded; to an idle connection it goes unguarded.
    func testAWriteQueuedBehindABatchInFlightCarriesTheGuardAndOneToAnIdleConnectionDoesNot() throws {
        try start(batchesInFlight: 1, minWriteBudget: .milliseconds(1_000))
        let tag = uniqueTag("guardrule")
        let guards = h.pool.stats.deadlineGuards
        let got = Mutex<[String]>([])
        XCTAssertTrue(h.onLoop(expect: 3) { pool, done in
            func record(_ r: Result<PGRows, PGError>, _ what: String) {
                got.withLock { $0.append(what + " " + ({ if case .failure(let e) = r { return e.kind }; return "ok" }())) }
                done()
            }
            pool.query(S.insertAudit.rawValue, [.text(tag), .int(1)], deadline: pool.loop.now + .seconds(5)) { record($0, "idle") }
            _ = pool.loop.schedule(after: .milliseconds(5)) {
                pool.query(S.sleep.rawValue, [.text("0.2")], deadline: pool.loop.now + .seconds(5)) { record($0, "sleep") }
                _ = pool.loop.schedule(after: .milliseconds(20)) {
                    pool.query(S.insertAudit.rawValue, [.text(tag), .int(2)], deadline: pool.loop.now + .seconds(5)) { record($0, "behind") }
                }
            }
        })
        XCTAssertEqual(got.withLock { $0 }, ["idle ok", "sleep ok", "behind ok"])
        XCTAssertEqual(h.pool.stats.deadlineGuards - guards, 1, "only the write queued behind the sleep")
        XCTAssertEqual(rowsTagged(tag), 2)
    }

    // MARK: gathering on two connections (`PGConfig.gatherWindow`)

    /// The writes gather on the connection whose batch (the sleep) is on the server, not on the
    /// idle one, and go out together when it is answered.
    func testOnTwoConnectionsWritesGatherBehindTheBatchInFlight() throws {
        try startTwo(gatherMs: 5_000)
        let tag = uniqueTag("gather")
        let before = h.pool.stats.multiRowStatements
        let (sleep, writes) = writesBehindASleep(tag)
        XCTAssertEqual(sleep, "ok")
        XCTAssertEqual(writes.map(\.outcome), ["ok", "ok", "ok", "ok", "ok"])
        XCTAssertEqual(writes.map(\.batchSize), [5, 5, 5, 5, 5], "one statement for the five")
        XCTAssertEqual(h.pool.stats.multiRowStatements - before, 1)
        for w in writes { XCTAssertGreaterThanOrEqual(w.afterMs, 300, "sent after the sleep's batch was answered") }
        XCTAssertEqual(rowsTagged(tag), 5)
    }

    /// With no window each write goes to the idle connection at once, one statement each.
    func testWithoutAGatherWindowWritesGoToTheIdleConnection() throws {
        try startTwo(gatherMs: 0)
        let tag = uniqueTag("nogather")
        let (sleep, writes) = writesBehindASleep(tag)
        XCTAssertEqual(sleep, "ok")
        XCTAssertEqual(writes.map(\.outcome), ["ok", "ok", "ok", "ok", "ok"])
        XCTAssertEqual(writes.map(\.batchSize), [1, 1, 1, 1, 1])
        for w in writes { XCTAssertLessThan(w.afterMs, 300, "not held behind the sleep") }
        XCTAssertEqual(rowsTagged(tag), 5)
    }

    /// The sleep (1 s) keeps its server silent past the window (150 ms): the two writes that
    /// gathered behind it move to the other connection when the window ends, together, and the
    /// later ones go there directly. None waits for the sleep.
    func testGatheredWritesMoveWhenTheServerStaysSilentPastTheWindow() throws {
        try startTwo(gatherMs: 150)
        let tag = uniqueTag("regather")
        let (sleep, writes) = writesBehindASleep(tag, sleep: "1", atMs: [20, 40, 400, 420, 440])
        XCTAssertEqual(sleep, "ok")
        XCTAssertEqual(writes.map(\.outcome), ["ok", "ok", "ok", "ok", "ok"])
        XCTAssertEqual(writes.prefix(2).map(\.batchSize), [2, 2], "the gathered two moved as one statement")
        for w in writes.prefix(2) { XCTAssertGreaterThanOrEqual(w.afterMs, 140, "held until the window ended") }
        for w in writes { XCTAssertLessThan(w.afterMs, 900, "not held behind the sleep") }
        XCTAssertEqual(rowsTagged(tag), 5)
    }
}
