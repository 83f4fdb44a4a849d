import CSystem
import Glibc
import Reactor
import Synchronization

/// A server's state on one loop: its listener, its connections, and the per-loop caches the
/// connections share (date line, scratch buffer).
public final class ServerContext: IOHandler {
    public let loop: EventLoop
    let config: ServerConfig
    let router: Router
    var listenFD: Int32
    let date = DateCache()
    var scratch: [UInt8] = []
    private var connections: [ServerConnection?] = []
    private var freeSlots: [Int] = []
    public private(set) var connectionCount = 0
    /// Requests whose handler has not answered yet (admission control).
    var inFlight = 0
    /// Requests refused with 503 by admission control; read by the metrics thread.
    let shed = Atomic<UInt64>(0)
    /// Times accepting paused (connection cap, or the kernel out of descriptors or memory).
    let acceptPauses = Atomic<UInt64>(0)
    private var acceptPaused = false
    var shuttingDown = false
    var onDrained: (() -> Void)?
    var observer: RequestObserver?

    init(loop: EventLoop, config: ServerConfig, router: Router, listenFD: Int32) {
        self.loop = loop
        self.config = config
        self.router = router
        self.listenFD = listenFD
        if listenFD >= 0 { loop.register(listenFD, self, interest: .read) }
    }

    /// Accepts what the backlog holds (bounded, so one busy listener cannot starve the loop).
    public func ioReady(_ events: IOEvents) {
        for _ in 0..<64 {
            if connectionCount >= config.maxConnections { return pauseAccepting(until: .connectionCloses) }
            let fd = cs_accept(listenFD)
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                // The connection died in the backlog, or a signal: the next one may be fine.
                case ECONNABORTED, EINTR, EPROTO, EPERM: continue
                // Out of descriptors or kernel memory: retrying at once would spin the loop.
                default: return pauseAccepting(until: .timeout)
                }
            }
            adopt(fd)
        }
    }

    /// Takes an accepted connection into this loop.
    func adopt(_ fd: Int32) {
        if shuttingDown { close(fd); return }
        Socket.setNoDelay(fd)
        let c = ServerConnection(fd: fd, context: self)
        add(c)
        loop.register(fd, c, interest: .read)
        loop.timers.arm(c.timer, at: loop.now &+ config.keepAliveTimeout)
    }

    /// Answers whether a request may start now; counts a refusal.
    func admit() -> Bool {
        if inFlight < config.maxInFlight { return true }
        shed.add(1, ordering: .relaxed)
        return false
    }

    enum AcceptResume { case timeout, connectionCloses }

    /// Stops accepting, instead of spinning on the listener, until a connection closes (over
    /// the connection cap) or for a moment (out of descriptors or memory).
    private func pauseAccepting(until resume: AcceptResume) {
        guard listenFD >= 0, !acceptPaused else { return }
        acceptPaused = true
        acceptPauses.add(1, ordering: .relaxed)
        loop.setInterest(listenFD, .none)
        guard resume == .timeout else { return }
        loop.schedule(afterNanos: 100_000_000) { [weak self] in self?.resumeAccepting() }
    }

    private func resumeAccepting() {
        guard acceptPaused, !shuttingDown, listenFD >= 0 else { return }
        acceptPaused = false
        loop.setInterest(listenFD, .read)
    }

    private func add(_ c: ServerConnection) {
        if let s = freeSlots.popLast() {
            c.slot = s
            connections[s] = c
        } else {
            c.slot = connections.count
            connections.append(c)
        }
        connectionCount += 1
    }

    func remove(_ c: ServerConnection) {
        guard c.slot >= 0 else { return }
        connections[c.slot] = nil
        freeSlots.append(c.slot)
        c.slot = -1
        connectionCount -= 1
        if acceptPaused && connectionCount < config.maxConnections { resumeAccepting() }
        checkDrained()
    }

    private func checkDrained() {
        guard shuttingDown, connectionCount == 0, let done = onDrained else { return }
        onDrained = nil
        done()
    }

    /// Stops accepting and lets connections finish; `drained` runs when the last one closed.
    func beginShutdown(_ drained: @escaping () -> Void) {
        shuttingDown = true
        onDrained = drained
        if listenFD >= 0 {
            loop.closeDescriptor(listenFD)
            listenFD = -1
        }
        for c in connections { c?.shutdownGracefully() }
        checkDrained()
    }

    /// Closes whatever is left once the shutdown deadline has passed.
    func forceClose() {
        for c in connections { c?.close() }
    }
}
