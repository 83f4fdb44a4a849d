import CSystem
import Glibc
import Reactor

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
    var shuttingDown = false
    var onDrained: (() -> Void)?
    weak var server: HTTPServer?
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
            let fd = cs_accept(listenFD)
            if fd < 0 {
                if errno == EMFILE || errno == ENFILE { pauseAccepting() }
                return
            }
            if config.acceptMode == .handoff, let server { server.handOff(fd, from: self) } else { adopt(fd) }
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

    /// Out of descriptors: stop accepting for a moment instead of spinning on the listener.
    private func pauseAccepting() {
        loop.setInterest(listenFD, .none)
        loop.schedule(afterNanos: 100_000_000) { [weak self] in
            guard let self, !self.shuttingDown else { return }
            self.loop.setInterest(self.listenFD, .read)
        }
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
