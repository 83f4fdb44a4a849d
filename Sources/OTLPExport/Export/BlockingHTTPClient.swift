import Tracing
// A small blocking HTTP/1.1 client for the exporter thread only (never a loop thread): one
// keep-alive connection, every step (resolve excepted) bounded by poll(2) and a deadline, responses
// parsed with HTTP1's ResponseParser (Content-Length, chunked, or until close).

import Glibc
import HTTP1
import Reactor

final class BlockingHTTPClient {
    struct Response {
        var status: Int
        /// Raw Retry-After value, if any.
        var retryAfter: String?
        var contentType: String?
        var body: [UInt8]
    }

    enum Failure: Error, Equatable, CustomStringConvertible {
        case resolve(String)
        case connect(Int32)
        case timeout(String)
        /// The peer closed the connection before a whole response arrived.
        case closed
        case io(String, Int32)
        case malformed(String)

        var description: String {
            switch self {
            case .resolve(let m): return m
            case .connect(let e): return "connect: \(String(cString: strerror(e)))"
            case .timeout(let phase): return "timed out (\(phase))"
            case .closed: return "connection closed by the peer"
            case .io(let what, let e): return "\(what): \(String(cString: strerror(e)))"
            case .malformed(let m): return "malformed response: \(m)"
            }
        }
    }

    let host: String
    let port: Int
    let hostHeader: String
    let waker: ExportWaker?
    /// Larger response bodies fail the request (a collector answers with a few bytes).
    let maxResponseBody: Int
    private(set) var fd: Int32 = -1
    /// Connections opened so far (tests check keep-alive with it).
    private(set) var connectionsOpened = 0

    private var parser = ResponseParser()
    private let headerTable: HeaderTable
    private var input = [UInt8](repeating: 0, count: 16384)
    private var requestHead: [UInt8] = []

    init(host: String, port: Int, waker: ExportWaker?, maxResponseBody: Int = 1 << 20) {
        self.host = host
        self.port = port
        let h = host.contains(":") ? "[\(host)]" : host
        hostHeader = port == 80 ? h : "\(h):\(port)"
        self.waker = waker
        self.maxResponseBody = maxResponseBody
        headerTable = HeaderTable(capacity: parser.limits.maxHeaderCount)
    }

    deinit { close() }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// Sends one request and reads its response, all before `deadline` (monotonic ns). A reused
    /// keep-alive connection that turns out to be closed (the request cannot be written, or the
    /// connection ends before any response byte) is replaced once by a fresh one.
    func request(method: String, path: String, headers: [(String, String)], body: [UInt8],
                 deadline: UInt64) -> Result<Response, Failure> {
        if fd >= 0 && idleConnectionIsDead() { close() }
        buildHead(method: method, path: path, headers: headers, bodyLength: body.count)
        var fresh = false
        while true {
            if fd < 0 {
                if let f = connect(deadline: deadline) { return .failure(f) }
                fresh = true
            }
            var received = false
            let result = exchange(body: body, deadline: deadline, received: &received)
            switch result {
            case .success(let (response, reusable)):
                if !reusable { close() }
                return .success(response)
            case .failure(let f):
                close()
                let stale = f == .closed || { if case .io = f { return true } else { return false } }()
                if !fresh && !received && stale { continue }  // a keep-alive race: one new connection
                return .failure(f)
            }
        }
    }

    // MARK: connect

    private func connect(deadline: UInt64) -> Failure? {
        let address: SocketAddress
        do {
            address = try SocketAddress.resolve(host: host, port: port)
        } catch {
            return .resolve("\(error)")
        }
        switch Socket.connect(address) {
        case .failed(let e):
            return .connect(e)
        case .connected(let s):
            fd = s
        case .inProgress(let s):
            switch wait(s, Int16(POLLOUT), deadline) {
            case .ready:
                let e = Socket.connectError(s)
                if e != 0 {
                    Glibc.close(s)
                    return .connect(e)
                }
                fd = s
            case .timedOut, .stopped:
                Glibc.close(s)
                return .timeout("connect")
            case .failed(let e):
                Glibc.close(s)
                return .io("poll", e)
            }
        }
        connectionsOpened += 1
        return nil
    }

    /// An idle keep-alive connection that is readable was closed by the peer (or sent junk).
    private func idleConnectionIsDead() -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) != 0
    }

    private func wait(_ s: Int32, _ events: Int16, _ deadline: UInt64) -> ExportWaker.WaitResult {
        if let w = waker { return w.wait(fd: s, events: events, until: deadline) }
        // Without a waker (tests): the same poll loop, no stop signal.
        while true {
            let now = monotonicNanos()
            if now >= deadline { return .timedOut }
            var p = pollfd(fd: s, events: events, revents: 0)
            let ms = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            let r = poll(&p, 1, ms)
            if r < 0 {
                if errno == EINTR { continue }
                return .failed(errno)
            }
            if r > 0 { return .ready(p.revents) }
        }
    }

    // MARK: write

    private func buildHead(method: String, path: String, headers: [(String, String)], bodyLength: Int) {
        requestHead.removeAll(keepingCapacity: true)
        func add(_ s: String) { requestHead.append(contentsOf: s.utf8) }
        add("\(method) \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\n")
        for (name, value) in headers {
            add(name); add(": "); add(value); add("\r\n")
        }
        add("Content-Length: \(bodyLength)\r\n\r\n")
    }

    private func sendAll(_ bytes: UnsafeRawBufferPointer, more: Bool, deadline: UInt64) -> Failure? {
        var off = 0
        let flags = Int32(MSG_NOSIGNAL) | (more ? Int32(MSG_MORE) : 0)
        while off < bytes.count {
            let n = send(fd, bytes.baseAddress! + off, bytes.count - off, flags)
            if n > 0 {
                off += n
                continue
            }
            let e = errno
            if n < 0 && e == EINTR { continue }
            guard n < 0 && (e == EAGAIN || e == EWOULDBLOCK) else { return .io("send", n < 0 ? e : EPIPE) }
            switch wait(fd, Int16(POLLOUT), deadline) {
            case .ready: continue
            case .timedOut, .stopped: return .timeout("write")
            case .failed(let e): return .io("poll", e)
            }
        }
        return nil
    }

    // MARK: read

    /// Writes the request and reads one response. `received`: some response bytes arrived.
    private func exchange(body: [UInt8], deadline: UInt64, received: inout Bool)
        -> Result<(Response, reusable: Bool), Failure>
    {
        if let f = requestHead.withUnsafeBytes({ sendAll($0, more: !body.isEmpty, deadline: deadline) }) {
            return .failure(f)
        }
        if !body.isEmpty, let f = body.withUnsafeBytes({ sendAll($0, more: false, deadline: deadline) }) {
            return .failure(f)
        }

        parser.reset()
        var filled = 0
        var head = ResponseHead()
        var headDone = false
        var chunked = ChunkedDecoder(maxBody: maxResponseBody)
        var eof = false
        while true {
            if !headDone && filled > 0 {
                let status = input.withUnsafeBytes {
                    parser.parseHead(UnsafeRawBufferPointer(rebasing: $0[0 ..< filled]), head: &head, headers: headerTable)
                }
                switch status {
                case .incomplete:
                    break
                case .error(let e):
                    return .failure(.malformed("\(e.message)"))
                case .complete:
                    if head.status < 200 {
                        // 1xx interim response: drop it and parse what follows.
                        let rest = filled - head.headLength
                        input.withUnsafeMutableBytes { raw in
                            raw.baseAddress!.copyMemory(from: raw.baseAddress! + head.headLength, byteCount: rest)
                        }
                        filled = rest
                        parser.reset()
                        continue
                    }
                    headDone = true
                }
            }
            if headDone {
                let bodyStart = head.headLength
                switch head.framing(requestMethodWasHEAD: false) {
                case .none:
                    return .success((response(head, bodyStart ..< bodyStart), head.keepAlive && filled == bodyStart))
                case .contentLength(let n):
                    guard n <= Int64(maxResponseBody) else { return .failure(.malformed("body too large")) }
                    let end = bodyStart + Int(n)
                    if filled >= end {
                        return .success((response(head, bodyStart ..< end), head.keepAlive && filled == end))
                    }
                case .chunked:
                    let status = input.withUnsafeMutableBytes {
                        chunked.decode(UnsafeMutableRawBufferPointer(rebasing: $0[bodyStart ..< filled]))
                    }
                    switch status {
                    case .incomplete: break
                    case .error(let e): return .failure(.malformed("\(e.message)"))
                    case .complete:
                        let r = response(head, bodyStart ..< bodyStart + chunked.decodedCount)
                        return .success((r, head.keepAlive && filled == bodyStart + chunked.consumed))
                    }
                case .untilClose:
                    if filled - bodyStart > maxResponseBody { return .failure(.malformed("body too large")) }
                    if eof { return .success((response(head, bodyStart ..< filled), false)) }
                }
            }
            if eof { return .failure(.closed) }

            // Read more.
            if filled == input.count {
                guard input.count < parser.limits.maxHeaderBytes + maxResponseBody + 65536 else {
                    return .failure(.malformed("response too large"))
                }
                input.append(contentsOf: repeatElement(0, count: input.count))
            }
            let n = input.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, $0.count - filled, 0) }
            if n > 0 {
                filled += n
                received = true
                continue
            }
            if n == 0 {
                eof = true
                continue
            }
            let e = errno
            if e == EINTR { continue }
            guard e == EAGAIN || e == EWOULDBLOCK else { return .failure(.io("recv", e)) }
            switch wait(fd, Int16(POLLIN), deadline) {
            case .ready: continue
            case .timedOut, .stopped: return .failure(.timeout("read"))
            case .failed(let e): return .failure(.io("poll", e))
            }
        }
    }

    private func response(_ head: ResponseHead, _ body: Range<Int>) -> Response {
        input.withUnsafeBytes { raw in
            func header(_ name: StaticString) -> String? {
                headerTable.find(name, in: raw).map { String(decoding: $0.bytes(in: raw), as: UTF8.self) }
            }
            return Response(status: Int(head.status), retryAfter: header("retry-after"),
                            contentType: header("content-type"), body: Array(raw[body]))
        }
    }
}
