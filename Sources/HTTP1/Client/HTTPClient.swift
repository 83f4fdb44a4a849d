import Reactor

struct PendingRequest {
    var request: ClientRequest
    var deadline: Instant
    var completion: ClientCompletion
    var attempt = 0
}

/// A keep-alive connection pool to one upstream, owned by one loop (use it from that loop only).
/// Requests beyond `maxConnections` wait in FIFO order until a connection frees or their
/// deadline passes.
public final class HTTPClient {
    public let loop: EventLoop
    /// Where new connections go; `UpstreamResolver` may replace it (on this loop).
    public var address: SocketAddress
    public let hostHeader: String
    /// Called on this loop when a connect failed (refused, unreachable, timed out), so the owner
    /// can look the host up again: the upstream may have come back on another address.
    public var onConnectFailure: (() -> Void)?
    let config: ClientConfig
    private var idle: [ClientConnection] = []
    private var waiters: [PendingRequest] = []
    private var waiterHead = 0
    private lazy var waiterTimer = LoopTimer { [unowned self] in self.expireWaiters() }
    public private(set) var openConnections = 0
    private var closed = false

    public init(loop: EventLoop, address: SocketAddress, hostHeader: String, config: ClientConfig = ClientConfig()) {
        self.loop = loop
        self.address = address
        self.hostHeader = hostHeader
        self.config = config
    }

    /// Sends `request`; `completion` runs exactly once on this loop, with a response whose views
    /// are valid only inside the callback, or with an error. 
    public func send(_ request: ClientRequest, deadline: Instant, completion: @escaping ClientCompletion) {
        guard request.hasValidPath else { return completion(.failure(.invalidRequest)) }
        dispatch(PendingRequest(request: request, deadline: deadline, completion: completion))
    }

    private func dispatch(_ p: PendingRequest) {
        if closed { return p.completion(.failure(.shuttingDown)) }
        if let c = idle.popLast() { return c.start(p) }
        if openConnections < config.maxConnections { return open(p) }
        waiters.append(p)
        if !waiterTimer.isArmed { loop.timers.arm(waiterTimer, at: p.deadline) }
    }

    private func open(_ p: PendingRequest) {
        switch Socket.connect(address) {
        case .connected(let fd):
            openConnections += 1
            let c = ClientConnection(client: self, fd: fd, connected: true)
            loop.register(fd, c, interest: .read)
            c.start(p)
        case .inProgress(let fd):
            openConnections += 1
            ClientConnection(client: self, fd: fd, connected: false).waitForConnect(p)
        case .failed(let e):
            retryOrFail(p, .connectFailed(e))
        }
    }

    /// A connect failed: nothing was sent, so one retry on a fresh connection is safe.
    func connectFailed(_ c: ClientConnection, _ error: ClientError, _ p: PendingRequest) {
        discard(c)
        retryOrFail(p, error)
    }

    private func retryOrFail(_ p: PendingRequest, _ error: ClientError) {
        if error.isBeforeSend { onConnectFailure?() }
        if error.isBeforeSend && p.attempt == 0 && loop.now < p.deadline {
            var again = p
            again.attempt = 1
            return loop.runAfterEvents { self.dispatch(again) }
        }
        p.completion(.failure(error))
    }

    /// A connection finished its exchange cleanly: serve a waiter or keep it idle.
    func release(_ c: ClientConnection) {
        if let p = nextWaiter() { return c.start(p) }
        c.state = .idle
        loop.timers.arm(c.timer, at: loop.now + config.idleTimeout)
        idle.append(c)
    }

    /// Closes a connection that cannot be reused; a waiter then gets a new one.
    func discard(_ c: ClientConnection) {
        if c.state == .closed { return }
        if c.state == .idle, let i = idle.firstIndex(where: { $0 === c }) { idle.remove(at: i) }
        c.close()
        openConnections -= 1
        if let p = nextWaiter() { open(p) }
    }

    private func nextWaiter() -> PendingRequest? {
        while waiterHead < waiters.count {
            let p = waiters[waiterHead]
            waiterHead += 1
            if waiterHead == waiters.count { waiters.removeAll(keepingCapacity: true); waiterHead = 0 }
            if loop.now < p.deadline { return p }
            p.completion(.failure(.overloaded))
        }
        return nil
    }

    private func expireWaiters() {
        var keep: [PendingRequest] = []
        for p in waiters[waiterHead...] {
            if loop.now >= p.deadline { p.completion(.failure(.overloaded)) } else { keep.append(p) }
        }
        waiters = keep
        waiterHead = 0
        if let next = keep.map(\.deadline).min() { loop.timers.arm(waiterTimer, at: next) }
    }

    /// Closes idle connections and fails waiters; active exchanges finish or time out.
    public func close() {
        closed = true
        for c in idle { c.close(); openConnections -= 1 }
        idle.removeAll()
        let w = waiters[waiterHead...]
        waiters.removeAll()
        waiterHead = 0
        for p in w { p.completion(.failure(.shuttingDown)) }
    }
}
