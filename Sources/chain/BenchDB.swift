import ArgumentParser
import Glibc
import Postgres
import Reactor
import Synchronization

/// A closed-loop database load through the pool, to compare with pgbench (Perf/bench-db.sh):
/// every loop keeps `depth` queries outstanding and sends a new one as each completes.
struct BenchDB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-db", abstract: "Load PostgreSQL through the pipeline client (for Perf/).")

    enum Kind: String, ExpressibleByArgument { case select, insert }

    @Option(help: "libpq URL (DATABASE_URL by default).") var url = String(cString: getenv("DATABASE_URL") ?? strdup("")!)
    @Option(help: "Event loops (client threads).") var loops = 2
    @Option(help: "Connections per loop.") var connections = 1
    @Option(help: "Queries outstanding per loop (1 = no pipelining).") var depth = 64
    @Option(help: "Seconds to run.") var seconds = 10
    @Option(help: "select: point select on users by id; insert: one row into audit_logs.") var kind: Kind = .select
    @Flag(help: "One Sync per query instead of one per loop iteration.") var syncEachQuery = false

    func run() throws {
        let params = try PGConnectParams.parse(url)
        var config = PGConfig()
        config.connectionsPerLoop = connections
        config.syncEachQuery = syncEachQuery
        let statements = [
            PGStatement(name: "sel", sql: "SELECT id, name, email, tier FROM users WHERE id = $1", isWrite: false),
            PGStatement(name: "ins", sql: "INSERT INTO audit_logs (trace_id, user_id, action, status, details) VALUES ($1, $2, 'bench', 'completed', '{}')", isWrite: true),
        ]
        let group = LoopGroup(count: loops)
        let done = Atomic<Int>(0), errors = Atomic<Int>(0)
        let stopAt = monotonicNanos() + UInt64(seconds) * 1_000_000_000 + 1_000_000_000
        let measureFrom = monotonicNanos() + 1_000_000_000   // one second of warm-up
        let kind = self.kind, depth = self.depth
        try group.start { loop in
            let pool = PGPool(loop: loop, config: config, params: params, statements: statements)
            pool.start()
            var seq = Int64(loop.index) * 1_000_000_000
            func issue() {
                guard loop.now < stopAt else { return loop.stop() }
                seq += 1
                let id = seq % 10000 + 1
                let (stmt, p): (Int, [PGParam]) = kind == .select ? (0, [.int(id)]) : (1, [.text("bench-\(seq)"), .int(id)])
                pool.query(stmt, p, deadline: loop.now + 10_000_000_000) { r in
                    if loop.now >= measureFrom {
                        if case .success = r { done.add(1, ordering: .relaxed) } else { errors.add(1, ordering: .relaxed) }
                    }
                    issue()
                }
            }
            for _ in 0..<depth { issue() }
        }
        _ = group.wait(until: stopAt + 5_000_000_000)
        let n = done.load(ordering: .relaxed)
        print("queries=\(n) errors=\(errors.load(ordering: .relaxed)) qps=\(n / seconds)")
    }
}
