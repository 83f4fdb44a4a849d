import Glibc
import Reactor

extension ServerConnection {
    /// Appends to the output buffer, taking one from the pool if needed.
    func output(to body: (IOBuffer) -> Void) {
        let out = output ?? loop.buffers.take()
        output = out
        body(out)
    }

    /// Writes pending output; what the socket does not take waits for writability.
    func flush() {
        if state == .closed { return }
        if let out = output, !out.isEmpty {
            let n = out.write(to: fd)
            if n < 0 && errno != EAGAIN && errno != EINTR { return close() }
        }
        if let out = output, out.isEmpty {
            loop.buffers.give(out)
            output = nil
        }
        if output == nil {
            if closeAfterWrite { return finishClose() }
            if state == .idle, let buf = input, buf.isEmpty {
                loop.buffers.give(buf)   // idle connections hold no buffers
                input = nil
            }
        }
        updateInterest()
    }

    func updateInterest() {
        var i: Interest = []
        if wantsInput { i.insert(.read) }
        if let out = output, !out.isEmpty { i.insert(.write) }
        loop.setInterest(fd, i)
    }

    /// After the last response: close now, or half-close and drain input for a while so a
    /// client still sending does not get a reset that discards our error response.
    func finishClose() {
        guard lingerAfterWrite else { return close() }
        shutdown(fd, Int32(SHUT_WR))
        state = .lingering
        loop.timers.arm(timer, at: loop.now &+ context.config.lingerTimeout)
        loop.setInterest(fd, .read)
    }

    func drainLinger() {
        var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        while true {
            let n = withUnsafeMutableBytes(of: &scratch) { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            return close()
        }
    }

    func timedOut() {
        switch state {
        case .idle, .lingering, .closed:
            close()
        case .head, .body:
            fail(408, "request not received in time")
        case .handling:
            // The handler missed its deadline: answer for it; its late answer is dropped.
            let g = generation
            keepAlive = false
            respondError(503, "request deadline exceeded")
            if isPending(g) { close() }
        }
    }

    public func close() {
        if state == .closed { return }
        if let observer = context.observer, let done = summary {
            summary = nil
            observer.requestEnded(observation, done, status: 499)   // nginx's "client closed request"
        }
        state = .closed
        generation &+= 1
        loop.timers.cancel(timer)
        loop.closeDescriptor(fd)
        if let b = input { loop.buffers.give(b); input = nil }
        if let b = output { loop.buffers.give(b); output = nil }
        context.remove(self)
    }

    /// Graceful shutdown: idle connections close now, busy ones after their current response.
    func shutdownGracefully() {
        if state == .idle && output == nil {
            close()
        } else {
            keepAlive = false
            if state == .idle || state == .head { closeAfterWrite = output != nil }
        }
    }
}
