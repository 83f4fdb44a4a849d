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

    /// Tries to complete the response from the buffer; on EOF only a close-delimited body ends well.
    private func parseResponse(eof: Bool) {
        guard let buf = input else { return }
        while !headParsed {
            switch parser.parseHead(UnsafeRawBufferPointer(buf.readable), head: &head, headers: headers) {
            case .incomplete:
                return eof ? fail(.connectionClosed) : ()
            case .error(let e):
                return fail(.invalidResponse(e.code))
            case .complete:
                if head.status >= 100 && head.status < 200 {   // interim: skip it and read on
                    buf.readIndex += head.headLength
                    parser.reset()
                    continue
                }
                headParsed = true
            }
        }
        let region = buf.readable
        let start = head.headLength
        switch head.framing(requestMethodWasHEAD: requestWasHEAD) {
        case .none:
            deliver(body: start..<start, consumed: start, reusable: head.keepAlive)
        case .contentLength(let n):
            // The parser leaves this limit to us: a HEAD or 304 may announce any length.
            if n > Int64(client.config.limits.maxBody) { return fail(.invalidResponse(.bodyTooLarge)) }
            let need = start + Int(n)
            if region.count >= need { return deliver(body: start..<need, consumed: need, reusable: head.keepAlive) }
            if eof { return fail(.connectionClosed) }
            buf.reserve(need - region.count)
        case .chunked:
            switch chunked.decode(UnsafeMutableRawBufferPointer(rebasing: region[start...])) {
            case .complete:
                deliver(body: start..<(start + chunked.decodedCount), consumed: start + chunked.consumed,
                        reusable: head.keepAlive)
            case .error(let e):
                fail(.invalidResponse(e.code))
            case .incomplete:
                if eof { fail(.connectionClosed) }
            }
        case .untilClose:
            // Bounded like a Content-Length body: a peer that never closes cannot fill memory.
            if region.count - start > client.config.limits.maxBody { return fail(.invalidResponse(.bodyTooLarge)) }
            if eof { deliver(body: start..<region.count, consumed: region.count, reusable: false) }
        }
    }

    private func deliver(body: Range<Int>, consumed: Int, reusable: Bool) {
        guard let done = completion, let buf = input else { return }
        completion = nil
        loop.timers.cancel(timer)
        let raw = UnsafeRawBufferPointer(buf.readable)
        let response = ClientResponse(status: head.status, raw: raw, headers: headers,
                                      body: UnsafeRawBufferPointer(rebasing: raw[body]))
        // The buffer is detached before the connection goes back to the pool, so the callback
        // may send the next request on this very connection while the views stay intact.
        input = nil
        // Bytes after the response on a request/response connection mean the peer misbehaved.
        if reusable && consumed == buf.readableCount {
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
