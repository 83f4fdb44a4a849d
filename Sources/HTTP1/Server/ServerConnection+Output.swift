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
        if loop.sendsAsynchronously {
            startSend()
        } else if let out = output, !out.isEmpty {
            let n = out.write(to: fd)
            if n < 0 && errno != EAGAIN && errno != EINTR { return close() }
        }
        if let out = output, out.isEmpty {
            loop.buffers.give(out)
            output = nil
        }
        if parsePaused && !inProcessInput && wantsInput { return processInput() }
        if output == nil && sending == nil {
            if closeAfterWrite { return finishClose() }
            // Everything the half-closed peer sent is answered; what is left can never complete.
            if peerClosed && state != .handling && !parsePaused { return close() }
            if state == .idle, lentTo == nil, let buf = input, buf.isEmpty {
                loop.buffers.give(buf)   // idle connections hold no buffers
                input = nil
            }
        }
        updateInterest()
    }

    /// io_uring: hands the output to the loop's next submission, unless a send is in flight
    /// (what was produced meanwhile follows when it completes) or the socket is full.
    private func startSend() {
        if sending == nil, let out = output, !out.isEmpty {
            sending = out
            output = nil
        }
        guard let s = sending, !sendInFlight, !awaitingWritable else { return }
        sendInFlight = true
        loop.send(fd, s, self)
    }

    public func sendCompleted(_ buffer: IOBuffer, result: Int) {
        sendInFlight = false
        if state == .closed {   // `close` left the buffer to us: the kernel held it until now
            loop.buffers.give(buffer)
            sending = nil
            return
        }
        if result >= 0 {
            buffer.readIndex += result
            if buffer.isEmpty {
                loop.buffers.give(buffer)
                sending = nil
            } else {
                awaitingWritable = true   // short: the socket's buffer is full
            }
        } else if result == -Int(EAGAIN) || result == -Int(EINTR) {
            awaitingWritable = true
        } else {
            return close()
        }
        flush()
    }

    /// Read interest stays on while a request is handled, so a request and its answer cost no
    /// epoll_ctl (dropping it and taking it back cost two per request when the answer came in a
    /// later iteration); it is dropped only once input actually arrives meanwhile.
    func updateInterest() {
        var i: Interest = []
        let reading = wantsInput || (state == .handling && !inputWhileHandling)
        if reading && (!peerClosed || state == .lingering) { i.insert(.read) }
        if awaitingWritable || (!loop.sendsAsynchronously && !(output?.isEmpty ?? true)) { i.insert(.write) }
        loop.setInterest(fd, i)
    }

    /// After the last response: close now, or half-close and drain input for a while so a
    /// client still sending does not get a reset that discards our error response.
    func finishClose() {
        guard lingerAfterWrite else { return close() }
        shutdown(fd, Int32(SHUT_WR))
        state = .lingering
        loop.timers.arm(timer, at: loop.now + context.config.lingerTimeout)
        loop.setInterest(fd, .read)
    }

    /// Reads and discards what a lingering client still sends. A client that keeps sending must
    /// not hold the loop: each wake-up reads at most `lingerReadBudget` (level-triggered epoll
    /// calls again next iteration), and past `lingerMaxBytes` in all, or `lingerTimeout`, we close.
    func drainLinger() {
        var budget = context.config.lingerReadBudget
        let closeNow = withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { scratch -> Bool in
            while budget > 0 {
                let n = read(fd, scratch.baseAddress, Swift.min(scratch.count, budget))
                if n < 0 && (errno == EAGAIN || errno == EINTR) { return false }
                if n <= 0 { return true }
                budget -= n
                lingered += n
                if lingered > context.config.lingerMaxBytes { return true }
            }
            return false
        }
        if closeNow { close() }
    }

    func timedOut() {
        switch state {
        case .idle, .lingering, .closed:
            close()
        case .head, .body:
            fail(408, "request not received in time")
        case .handling:
            // The handler missed its deadline: answer for it; its late answer is dropped. 504,
            // not 503: the handler may have committed something, so the outcome is unknown.
            let g = generation
            keepAlive = false
            respondError(504, "the request was not answered before its deadline; its outcome is unknown")
            if isPending(g) { close() }
        }
    }

    public func close() {
        if state == .closed { return }
        if let tracing = context.tracing, let done = summary {
            summary = nil
            tracing.end(span, done, status: 499, at: loop.now)   // nginx's "client closed request"
            span = nil
        }
        state = .closed
        generation &+= 1
        loop.timers.cancel(timer)
        loop.closeDescriptor(fd)
        // A handler still holding views keeps the input until it answers (`answered`).
        if let b = input, lentTo == nil { loop.buffers.give(b); input = nil }
        if let b = output { loop.buffers.give(b); output = nil }
        if let b = sending, !sendInFlight { loop.buffers.give(b); sending = nil }
        context.remove(self)
    }

    func returnLoan() {
        lentTo = nil
        context.inFlight -= 1
    }

    /// A handler's answer (through its `Responder`): its views into the input are released.
    func answered(_ g: UInt32, status: UInt16, contentType: StaticString?,
                  body: UnsafeRawBufferPointer, extra: ExtraHeaders?) {
        if lentTo == g { returnLoan() }
        respond(g, status: status, contentType: contentType, body: body, extra: extra)
        if state == .closed, lentTo == nil, let b = input { loop.buffers.give(b); input = nil }
    }

    /// Graceful shutdown: idle connections close now, busy ones after their current response.
    func shutdownGracefully() {
        if state == .idle && output == nil && sending == nil {
            close()
        } else {
            keepAlive = false
            if state == .idle || state == .head { closeAfterWrite = output != nil || sending != nil }
        }
    }
}
