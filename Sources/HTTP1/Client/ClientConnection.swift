import Glibc
import Reactor

/// One keep-alive connection to an upstream: connect, write a request, parse the response
/// (Content-Length, chunked, or close-delimited), then go back to the pool.
final class ClientConnection: IOHandler {
    enum State { case connecting, idle, active, closed }

    let client: HTTPClient   // strong: in-flight exchanges keep their pool alive
    let loop: EventLoop      // stored, as `ServerConnection.loop`
    let fd: Int32
    var state: State
    var input: IOBuffer?
    var output: IOBuffer?
    var reader: ResponseReader
    var completion: ClientCompletion?
    var requestWasHEAD = false
    var pending: PendingRequest?   // waiting for the connect to finish
    let timer = LoopTimer {}   // made with the connection, as `ServerConnection.timer`

    init(client: HTTPClient, fd: Int32, connected: Bool) {
        self.client = client
        self.fd = fd
        loop = client.loop
        state = connected ? .idle : .connecting
        reader = ResponseReader(limits: client.config.limits)
        timer.action = { [unowned self] in self.timedOut() }
    }

    func ioReady(_ events: IOEvents) {
        switch state {
        case .connecting:
            connectFinished()
        case .idle:
            // An idle pooled connection that turns readable was closed (or misused) by the peer.
            client.discard(self)
        case .active:
            if events.contains(.writable) { flush() }
            if state == .active && (events.contains(.readable) || events.contains(.hangup) || events.contains(.error)) {
                readResponse()
            }
        case .closed:
            break
        }
    }

    private func connectFinished() {
        let err = Socket.connectError(fd)
        guard let p = pending else { return }
        pending = nil
        if err != 0 { return client.connectFailed(self, .connectFailed(err), p) }
        state = .idle
        start(p)
    }

    func waitForConnect(_ p: PendingRequest) {
        pending = p
        loop.register(fd, self, interest: .write)
        loop.timers.arm(timer, at: min(p.deadline, loop.now + client.config.connectTimeout))
    }

    /// Sends `req`; `completion` runs exactly once, on this loop.
    func start(_ p: PendingRequest) {
        state = .active
        completion = p.completion
        requestWasHEAD = p.request.method == .HEAD
        reader.reset()
        let out = output ?? loop.buffers.take()
        output = out
        RequestWriter.write(p.request, host: client.hostHeader, into: out)
        loop.timers.arm(timer, at: p.deadline)
        flush()
    }

    private func flush() {
        guard let out = output else { return }
        if !out.isEmpty {
            let n = out.write(to: fd)
            if n < 0 && errno != EAGAIN && errno != EINTR { return fail(.connectionClosed) }
        }
        if out.isEmpty {
            loop.buffers.give(out)
            output = nil
            loop.setInterest(fd, .read)
        } else {
            loop.setInterest(fd, [.read, .write])
        }
    }
}
