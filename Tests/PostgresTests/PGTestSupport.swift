import ChainTestSupport
import Foundation
import Postgres
import Reactor
import XCTest

/// Tests run against the private PostgreSQL that scripts/test.sh starts (scripts/pg.sh);
/// DATABASE_URL points at it and PG_TEST_DIR is its directory (for restarts).
enum PGTestEnv {
    static var url: String? { ProcessInfo.processInfo.environment["DATABASE_URL"] }
    static var dir: String? { ProcessInfo.processInfo.environment["PG_TEST_DIR"] }

    static func requireURL() throws -> String {
        guard let u = url else { throw XCTSkip("DATABASE_URL not set: run ./scripts/test.sh, which starts a private PostgreSQL") }
        return u
    }
}

/// The statements the tests use, by index.
enum S: Int, CaseIterable {
    case echo, types, divide, sleep, insertAudit, countTrace, selectUser, countByUser
    /// With multi-row forms (`PGMultiRow`): coalesced when several meet in one batch.
    case insertAuditRows, selectUserRows, echoRows
    /// The same three-column echo with its arrays in binary format and in text format.
    case echoTyped, echoTypedText
    /// Declares int8 elements for a text[] parameter: the server refuses the binary array.
    case echoMisdeclared

    static let all: [PGStatement] = [
        PGStatement(name: "echo", sql: "SELECT $1::int8", isWrite: false),
        PGStatement(name: "types", sql: "SELECT $1::int8, $2::text, $3::jsonb, $4::timestamptz, NULL::text, now()", isWrite: false),
        PGStatement(name: "divide", sql: "SELECT 100 / $1::int8", isWrite: false),
        PGStatement(name: "sleep", sql: "SELECT pg_sleep($1::float8)::text", isWrite: false),
        PGStatement(name: "insert_audit", sql: "INSERT INTO audit_logs (trace_id, user_id, action, status, details) VALUES ($1, $2, 'test', 'completed', '{}') RETURNING id", isWrite: true),
        PGStatement(name: "count_trace", sql: "SELECT count(*) FROM audit_logs WHERE trace_id = $1", isWrite: false),
        PGStatement(name: "select_user", sql: "SELECT id, name, email, tier FROM users WHERE id = $1", isWrite: false),
        PGStatement(name: "count_by_user", sql: "SELECT user_id, count(*) FROM audit_logs WHERE trace_id LIKE $1 GROUP BY user_id", isWrite: false),
        PGStatement(name: "insert_audit_rows",
                    sql: "INSERT INTO audit_logs (trace_id, user_id, action, status, details) VALUES ($1, $2, 'test', 'completed', $3::jsonb) RETURNING id, trace_id, user_id, details",
                    isWrite: true, multiRow: PGMultiRow(sql: insertAuditRowsMulti, split: .inOrder)),
        PGStatement(name: "select_user_rows", sql: "SELECT id, name, email, tier FROM users WHERE id = $1", isWrite: false,
                    multiRow: PGMultiRow(sql: "SELECT id, name, email, tier FROM users WHERE id = ANY($1::bigint[])", split: .byKey(column: 0, param: 0))),
        PGStatement(name: "echo_rows", sql: "SELECT $1::text, $2::int8", isWrite: false,
                    multiRow: PGMultiRow(sql: echoRowsMulti, split: .inOrder)),
        PGStatement(name: "echo_typed", sql: "SELECT $1::text, $2::int8, $3::jsonb", isWrite: false,
                    multiRow: PGMultiRow(sql: echoTypedMulti, split: .inOrder, elements: [.text, .int8, .jsonb])),
        PGStatement(name: "echo_typed_text", sql: "SELECT $1::text, $2::int8, $3::jsonb", isWrite: false,
                    multiRow: PGMultiRow(sql: echoTypedMulti, split: .inOrder)),
        PGStatement(name: "echo_misdeclared", sql: "SELECT $1::text", isWrite: false,
                    multiRow: PGMultiRow(sql: "SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS r(v, ord) ORDER BY ord",
                                         split: .inOrder, elements: [.int8])),
    ]
    static let echoTypedMulti = "SELECT v, n, j FROM unnest($1::text[], $2::int8[], $3::jsonb[]) WITH ORDINALITY AS r(v, n, j, ord) ORDER BY ord"
    static let insertAuditRowsMulti = "INSERT INTO audit_logs (trace_id, user_id, action, status, details) SELECT t, u, 'test', 'completed', d FROM unnest($1::text[], $2::bigint[], $3::jsonb[]) WITH ORDINALITY AS r(t, u, d, ord) ORDER BY ord RETURNING id, trace_id, user_id, details"
    static let echoRowsMulti = "SELECT v, n FROM unnest($1::text[], $2::int8[]) WITH ORDINALITY AS r(v, n, ord) ORDER BY ord"
}

/// A loop with a pool on it; `onLoop` runs test code there and waits for it to signal done.
/// Given a ManualClock, the pool's deadlines, connect timeouts and reconnect backoffs pass only
/// when the test advances it.
final class PoolHarness {
    let group: LoopGroup
    let clock: ManualClock?
    nonisolated(unsafe) var pool: PGPool!
    var loop: EventLoop { group.loops[0] }

    init(url: String, connections: Int = 2, clock: ManualClock? = nil, tweak: (inout PGConfig) -> Void = { _ in }) throws {
        self.clock = clock
        group = LoopGroup(count: 1, clock: clock?.loopClock ?? .monotonic)
        var config = PGConfig()
        config.connectionsPerLoop = connections
        config.reconnectMin = .nanoseconds(20_000_000)
        config.reconnectMax = .nanoseconds(200_000_000)
        tweak(&config)
        let params = try PGConnectParams.parse(url)
        let c = config
        try group.start { [unowned self] loop in
            self.pool = PGPool(loop: loop, config: c, params: params, statements: S.all)
            self.pool.logger = { _ in }
            self.pool.start()
        }
    }

    /// Runs `body` on the loop; it calls `done` (any number of times); moves the ManualClock by
    /// `advancing` once the body ran; waits for `expect` calls.
    func onLoop(expect: Int = 1, timeoutMs: UInt64 = 10_000, advancing: TimeAmount? = nil,
                _ body: @escaping (PGPool, @escaping () -> Void) -> Void) -> Bool {
        let count = Counter()
        nonisolated(unsafe) let b = body
        nonisolated(unsafe) let h = self
        loop.execute { b(h.pool) { count.add() } }
        if let advancing { advance(by: advancing) }
        return eventually(timeout: .milliseconds(timeoutMs)) { count.value >= expect }
    }

    func advance(by amount: TimeAmount, file: StaticString = #filePath, line: UInt = #line) {
        guard let clock else { return XCTFail("advance on a harness without a ManualClock", file: file, line: line) }
        clock.advance(by: amount, on: [loop], file: file, line: line)
    }

    var readyCount: Int {
        nonisolated(unsafe) let h = self
        return loop.sync { h.pool.readyCount } ?? -1
    }

    /// Waits for `n` ready connections (a connect is real I/O with the server, in its own time).
    func waitReady(_ n: Int = 1) {
        eventually(timeout: .seconds(10)) { readyCount >= n }
    }

    func stop() {
        nonisolated(unsafe) let h = self
        loop.execute { h.pool.close(); h.loop.stop() }
        _ = group.wait(until: Instant.now() + .nanoseconds(3_000_000_000))
    }
}

final class Counter: @unchecked Sendable {
    private var n = 0
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func add() { pthread_mutex_lock(&lock); n += 1; pthread_mutex_unlock(&lock) }
    var value: Int { pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }; return n }
}

func uniqueTag(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.lowercased())" }

/// Runs a command and waits for it (posix_spawn: Foundation's Process would wait on pipes that
/// a daemon started by the command inherits).
func runCommand(_ args: [String]) -> Int32 {
    var pid = pid_t()
    let argv = args.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawnp(&pid, args[0], nil, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return (status >> 8) & 0xff
}
