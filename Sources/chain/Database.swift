import Postgres
import Reactor
import Synchronization

/// One PGPool per loop, created on the loop's thread; handlers find their loop's pool by index.
final class Database: @unchecked Sendable {
    static let statements = [
        PGStatement(name: "ping", sql: "SELECT 1", isWrite: false),
    ]
    static let ping = 0

    let config: PGConfig
    let params: PGConnectParams
    private let pools: Mutex<[Int: PGPool]> = Mutex([:])

    init(url: String, connectionsPerLoop: Int, loops: Int) throws {
        var c = PGConfig()
        c.connectionsPerLoop = connectionsPerLoop
        config = c
        params = try PGConnectParams.parse(url)   // resolves the host here, not on a loop
    }

    func start(on loop: EventLoop) {
        let pool = PGPool(loop: loop, config: config, params: params, statements: Self.statements)
        pool.start()
        pools.withLock { $0[loop.index] = pool }
    }

    /// The pool of `loop` (looked up once per call; the lock is uncontended after start-up).
    func pool(_ loop: EventLoop) -> PGPool? { pools.withLock { $0[loop.index] } }
}
