import Glibc
import Reactor

extension ClientConnection {
    func readResponse() {
        let buf = input ?? loop.buffers.take()
        input = buf
        if buf.writableCount == 0 { buf.reserve(16 * 1024) }
        let n = buf.read(from: fd)
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            return fail(.connectionClosed)
        }
        parseResponse(eof: n == 0)
    }

    private func parseResponse(eof: Bool) {
        guard let buf = input else { return }
        switch reader.advance(buf, eof: eof, requestWasHEAD: requestWasHEAD) {
        case .incomplete: return
        case .closedEarly: fail(.connectionClosed)
        case .invalid(let code): fail(.invalidResponse(code))
        case .complete(let body, _, let reusable): deliver(body: body, reusable: reusable)
        }
    }

    private func deliver(body: Range<Int>, reusable: Bool) {
        guard let done = completion, let buf = input else { return }
        completion = nil
        loop.timers.cancel(timer)
        let raw = UnsafeRawBufferPointer(buf.readable)
        let response = ClientResponse(status: reader.head.status, raw: raw, headers: reader.headers,
                                      body: UnsafeRawBufferPointer(rebasing: raw[body]))
        // The buffer is detached before the connection goes back to the pool, so the callback
        // may send the next request on this very connection while the views stay intact.
        input = nil
        if reusable {
            client.release(self)
        } else {
            client.discard(self)
        }
        done(.response(response))
        buf.clear()
        loop.buffers.give(buf)
    }

    func fail(_ error: ClientError) {
        let done = completion
        completion = nil
        client.discard(self)
        done?(.failure(error))
    }

    func timedOut() {
        switch state {
        case .connecting:
            guard let p = pending else { return client.discard(self) }
            pending = nil
            client.connectFailed(self, loop.now >= p.deadline ? .timeout : .connectTimeout, p)
        case .idle:
            client.discard(self)
        case .active:
            fail(.timeout)
        case .closed:
            break
        }
    }

    func close() {
        if state == .closed { return }
        state = .closed
        loop.timers.cancel(timer)
        loop.closeDescriptor(fd)
        if let b = input { loop.buffers.give(b); input = nil }
        if let b = output { loop.buffers.give(b); output = nil }
    }
}
