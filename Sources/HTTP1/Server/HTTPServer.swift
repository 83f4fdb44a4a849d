import Glibc
import Reactor
import Synchronization

/// An HTTP/1.1 server spread over a loop group: one SO_REUSEPORT listener per loop, so the
/// kernel balances connections and no thread hands them off.
/// Sendable by hand: `listeners`, `port` and `observerFactory` are written before the loops
/// start (`bind`, set-up) and only read after; `contexts` is behind its Mutex, and each context
/// is used only by tasks run on its own loop.
public final class HTTPServer: @unchecked Sendable {
    public let config: ServerConfig
    public let router: Router
    private var listeners: [Int32] = []
    private let contexts = Mutex<[Int: ServerContext]>([:])
    public private(set) var port = 0
    /// Makes the per-loop request observer (telemetry); called once per loop, on that loop.
    public var observerFactory: ((EventLoop) -> RequestObserver?)?

    public init(config: ServerConfig, router: Router) {
        self.config = config
        self.router = router
    }

    /// Creates one listener per loop (call before the loops start). Port 0 picks a free port,
    /// which the other listeners then share. Throws `PortInUse` when another socket listens on
    /// the port already: the loops of this server share it, nobody else does.
    public func bind(loopCount: Int) throws {
        var port = config.port
        if port != 0 { try PortClaim.ensureUnused(SocketAddress.resolve(host: config.host, port: port)) }
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
        let fd = loop.index < listeners.count ? listeners[loop.index] : -1
        let ctx = ServerContext(loop: loop, config: config, router: router, listenFD: fd)
        ctx.observer = observerFactory?(loop)
        contexts.withLock { $0[loop.index] = ctx }
    }

    /// Graceful shutdown from any thread: every loop stops accepting, finishes what is in
    /// flight, and `drained(loop)` runs on each loop when its last connection is gone.
    public func shutdown(_ group: LoopGroup, drained: @escaping @Sendable (EventLoop) -> Void) {
        for loop in group.loops {
            // Both are used only inside the task, on `loop`'s own thread.
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
            nonisolated(unsafe) let ctx = contexts.withLock { $0[loop.index] }   // used on its loop only
            loop.execute { ctx?.forceClose() }
        }
    }

    /// True once `start(on:)` ran on `loop`: before that, its listener accepts nothing.
    public func isStarted(on loop: EventLoop) -> Bool {
        contexts.withLock { $0[loop.index] != nil }
    }

    /// Requests refused by admission control (503), on every loop; safe from any thread.
    public var shedCount: UInt64 {
        contexts.withLock { $0.values.reduce(0) { $0 + $1.shed.load(ordering: .relaxed) } }
    }

    /// Times a loop stopped accepting (connection cap, out of descriptors or memory).
    public var acceptPauseCount: UInt64 {
        contexts.withLock { $0.values.reduce(0) { $0 + $1.acceptPauses.load(ordering: .relaxed) } }
    }

    /// epoll_ctl failures on the server's loops (recovered, or reported to the handler).
    public var interestFailureCount: Int {
        contexts.withLock { $0.values.reduce(0) { $0 + $1.loop.interestFailures } }
    }

    /// Open connections on every loop (approximate; read from another thread for tests).
    public func connectionCount(on loop: EventLoop) -> Int {
        contexts.withLock { $0[loop.index]?.connectionCount ?? 0 }
    }
}
