import Glibc
import Reactor
import Synchronization
import Tracing

/// An HTTP/1.1 server spread over a loop group: one SO_REUSEPORT listener per loop, so the
/// kernel balances connections and no thread hands them off (a hand-off mode was measured and
/// lost, Perf/RESULTS.md).
///
/// Sendable without a check: everything is set in init and never changes; each context is used
/// only by tasks run on its own loop (`execute`), and what other threads read of it (the shed
/// and accept-pause counters) is atomic.
public final class HTTPServer: @unchecked Sendable {
    public let config: ServerConfig
    public let router: Router
    /// The bound port (the one the kernel picked when `config.port` is 0).
    public let port: Int
    private let contexts: LoopLocal<ServerContext>

    /// Binds a listener per loop of `group` and prepares each loop's state; call before the
    /// loops start, then `start(on:)` on each loop. Port 0 picks a free port, which the other
    /// listeners then share. Throws `PortInUse` when another socket listens on the port already.
    /// With `tracers`, every request gets a SERVER span on its loop's tracer.
    public init(config: ServerConfig, router: Router, group: LoopGroup, tracers: LoopLocal<Tracer>? = nil) throws {
        self.config = config
        self.router = router
        var port = config.port
        if port != 0 { try PortClaim.ensureUnused(SocketAddress.resolve(host: config.host, port: port)) }
        var listeners: [Int32] = []
        do {
            for _ in group.loops {
                let fd = try Socket.listen(SocketAddress.resolve(host: config.host, port: port), reusePort: true)
                listeners.append(fd)
                if port == 0 { port = Socket.localPort(fd) }
            }
        } catch {
            for fd in listeners { close(fd) }
            throw error
        }
        self.port = port
        let boundPort = port
        contexts = LoopLocal(group) { loop in
            ServerContext(loop: loop, config: config, router: router, listenFD: listeners[loop.index],
                          tracing: tracers.map { ServerTracing(tracer: $0[loop], serverPort: boundPort) })
        }
    }

    /// Starts serving on `loop` (on the loop's thread, e.g. from LoopGroup.start).
    public func start(on loop: EventLoop) { contexts[loop].start() }

    /// The tracing of `loop`'s requests (nil when untraced): set its `onRequestEnded` before
    /// the loops start to measure every request.
    public func tracing(on loop: EventLoop) -> ServerTracing? { contexts[loop].tracing }

    /// Graceful shutdown from any thread: every loop stops accepting, finishes what is in
    /// flight, and `drained(loop)` runs on each loop when its last connection is gone.
    public func shutdown(_ group: LoopGroup, drained: @escaping @Sendable (EventLoop) -> Void) {
        for loop in group.loops {
            nonisolated(unsafe) let ctx = contexts[loop]   // used on its own loop only
            nonisolated(unsafe) let l = loop
            loop.execute { ctx.beginShutdown { drained(l) } }
        }
    }

    /// Closes every remaining connection (after the shutdown deadline).
    public func forceClose(_ group: LoopGroup) {
        for loop in group.loops {
            nonisolated(unsafe) let ctx = contexts[loop]   // used on its own loop only
            loop.execute { ctx.forceClose() }
        }
    }

    /// Requests refused by admission control (503), on every loop; safe from any thread.
    public var shedCount: UInt64 {
        contexts.all.reduce(0) { $0 + $1.shed.load(ordering: .relaxed) }
    }

    /// Times a loop stopped accepting (connection cap, out of descriptors or memory).
    public var acceptPauseCount: UInt64 {
        contexts.all.reduce(0) { $0 + $1.acceptPauses.load(ordering: .relaxed) }
    }

    /// epoll_ctl failures on the server's loops (recovered, or reported to the handler).
    public var interestFailureCount: Int {
        contexts.all.reduce(0) { $0 + $1.loop.interestFailures }
    }

    /// Open connections on `loop` (approximate when read from another thread; for tests).
    public func connectionCount(on loop: EventLoop) -> Int { contexts[loop].connectionCount }
}
