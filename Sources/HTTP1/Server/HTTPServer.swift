import Glibc
import Reactor
import Synchronization

/// An HTTP/1.1 server spread over a loop group: one SO_REUSEPORT listener per loop, so the
/// kernel balances connections and no thread hands them off.
public final class HTTPServer: @unchecked Sendable {
    public let config: ServerConfig
    public let router: Router
    private var listeners: [Int32] = []
    private let contexts = Mutex<[Int: ServerContext]>([:])
    public private(set) var port = 0

    public init(config: ServerConfig, router: Router) {
        self.config = config
        self.router = router
    }

    /// Creates one listener per loop (call before the loops start). Port 0 picks a free port,
    /// which the other listeners then share.
    public func bind(loopCount: Int) throws {
        var port = config.port
        for _ in 0..<loopCount {
            let addr = try SocketAddress.resolve(host: config.host, port: port)
            let fd = try Socket.listen(addr, reusePort: true)
            if port == 0 { port = Socket.localPort(fd) }
            listeners.append(fd)
        }
        self.port = port
    }

    /// Starts serving on `loop` (call on the loop's thread, e.g. from LoopGroup.start).
    public func start(on loop: EventLoop) {
        let ctx = ServerContext(loop: loop, config: config, router: router, listenFD: listeners[loop.index])
        contexts.withLock { $0[loop.index] = ctx }
    }

    /// Graceful shutdown from any thread: every loop stops accepting, finishes what is in
    /// flight, and `drained(loop)` runs on each loop when its last connection is gone.
    public func shutdown(_ group: LoopGroup, drained: @escaping @Sendable (EventLoop) -> Void) {
        for loop in group.loops {
            nonisolated(unsafe) let ctx = contexts.withLock { $0[loop.index] }
            nonisolated(unsafe) let l = loop
            loop.execute {
                guard let ctx else { return drained(l) }
                ctx.beginShutdown { drained(l) }
            }
        }
    }

    /// Closes every remaining connection (after the shutdown deadline).
    public func forceClose(_ group: LoopGroup) {
        for loop in group.loops {
            nonisolated(unsafe) let ctx = contexts.withLock { $0[loop.index] }
            loop.execute { ctx?.forceClose() }
        }
    }

    /// Open connections on every loop (approximate; read from another thread for tests).
    public func connectionCount(on loop: EventLoop) -> Int {
        contexts.withLock { $0[loop.index]?.connectionCount ?? 0 }
    }
}
