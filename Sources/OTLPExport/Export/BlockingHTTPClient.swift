// A small blocking HTTP/1.1 client for the exporter thread only (never a loop thread): one
// keep-alive connection, every step (resolve excepted) bounded by a deadline through the
// exporter's one wait primitive (`ExportWaker.wait`). Requests are written by HTTP1's
// RequestWriter and responses read by its ResponseReader, so framing matches the loop client's.

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
    /// Bounds every wait; the exporter's own, so shutdown cuts a slow collector short.
    let waker: ExportWaker
    private(set) var fd: Int32 = -1
    /// Connections opened so far (tests check keep-alive with it).
    private(set) var connectionsOpened = 0

    private var reader: ResponseReader
    private let input = IOBuffer(capacity: 16384)
    private let output = IOBuffer(capacity: 16384)
    private var headerLines: [UInt8] = []

    /// `maxResponseBody`: larger response bodies fail the request (a collector answers with a
    /// few bytes). A command-line fetch gets a waker of its own, never stopped: only the deadline
    /// ends its waits.
    init(host: String, port: Int, waker: ExportWaker = ExportWaker(), maxResponseBody: Int = 1 << 20) {
        self.host = host
        self.port = port
        let h = host.contains(":") ? "[\(host)]" : host
        hostHeader = port == 80 ? h : "\(h):\(port)"
        self.waker = waker
        var limits = HTTPLimits()
        limits.maxBody = maxResponseBody
        reader = ResponseReader(limits: limits)
    }

    deinit { close() }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// Sends one request and reads its response, all before `deadline`. `headers`
    /// must be valid field lines' names and values (EnvParse.headerList checks the configured
    /// ones). A reused keep-alive connection that turns out to be closed (the request cannot be
    /// written, or the connection ends before any response byte) is replaced once by a fresh one.
    func request(method: HTTPMethod, path: String, headers: [(String, String)], body: [UInt8],
                 deadline: Instant) -> Result<Response, Failure> {
        if fd >= 0 && idleConnectionIsDead() { close() }
        headerLines.removeAll(keepingCapacity: true)
        for (name, value) in headers {
            headerLines.append(contentsOf: name.utf8)
            headerLines.append(contentsOf: ": ".utf8)
            headerLines.append(contentsOf: value.utf8)
            headerLines.append(contentsOf: "\r\n".utf8)
        }
        var fresh = false
        while true {
            if fd < 0 {
                if let f = connect(deadline: deadline) { return .failure(f) }
                fresh = true
            }
            var received = false
            let result = exchange(method: method, path: path, body: body, deadline: deadline, received: &received)
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

    private func connect(deadline: Instant) -> Failure? {
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
            switch waker.wait(fd: s, events: Int16(POLLOUT), until: deadline) {
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
    /// A probe, not a wait: poll(2) with a zero timeout.
    private func idleConnectionIsDead() -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) != 0
    }

    // MARK: exchange

    /// One `sendmsg` of `head` then `body` (either may be empty): bytes sent, or -1 with errno.
    /// The iovecs point into the two buffers only for the call; the kernel only reads them.
    private static func send(_ fd: Int32, _ head: UnsafeMutableRawBufferPointer, _ body: UnsafeRawBufferPointer) -> Int {
        var iov = (iovec(iov_base: head.baseAddress, iov_len: head.count),
                   iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress), iov_len: body.count))
        return withUnsafeMutablePointer(to: &iov) { pair in
            pair.withMemoryRebound(to: iovec.self, capacity: 2) { v in
                var msg = msghdr()
                msg.msg_iov = v
                msg.msg_iovlen = 2
                return sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// Writes the request and reads one response. `received`: some response bytes arrived.
    private func exchange(method: HTTPMethod, path: String, body: [UInt8], deadline: Instant,
                          received: inout Bool) -> Result<(Response, reusable: Bool), Failure> {
        output.clear()
        headerLines.withUnsafeBytes { lines in
            RequestWriter.writeHead(method: method, path: path, host: hostHeader, contentType: nil,
                                    headerLines: lines, contentLength: body.count, into: output)
        }
        // The head from `output`, the body (a batch of spans) from where it lies.
        var bodySent = 0
        while !output.isEmpty || bodySent < body.count {
            let n = body.withUnsafeBytes { b in
                Self.send(fd, output.readable, UnsafeRawBufferPointer(rebasing: b[bodySent...]))
            }
            if n >= 0 {
                let fromHead = min(n, output.readableCount)
                output.readIndex += fromHead
                if output.isEmpty { output.clear() }
                bodySent += n - fromHead
                continue
            }
            let e = errno
            if e == EINTR { continue }
            guard e == EAGAIN || e == EWOULDBLOCK else { return .failure(.io("send", e)) }
            switch waker.wait(fd: fd, events: Int16(POLLOUT), until: deadline) {
            case .ready: continue
            case .timedOut, .stopped: return .failure(.timeout("write"))
            case .failed(let e): return .failure(.io("poll", e))
            }
        }

        input.clear()
        reader.reset()
        while true {
            if input.writableCount == 0 { input.reserve(16384) }
            let n = input.read(from: fd)
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                guard e == EAGAIN || e == EWOULDBLOCK else { return .failure(.io("recv", e)) }
                switch waker.wait(fd: fd, events: Int16(POLLIN), until: deadline) {
                case .ready: continue
                case .timedOut, .stopped: return .failure(.timeout("read"))
                case .failed(let e): return .failure(.io("poll", e))
                }
            }
            if n > 0 { received = true }
            switch reader.advance(input, eof: n == 0, requestWasHEAD: method == .HEAD) {
            case .incomplete: continue
            case .closedEarly: return .failure(.closed)
            case .invalid(let code): return .failure(.malformed("\(ParseError(code).message)"))
            case .complete(let body, _, let reusable): return .success((response(body), reusable))
            }
        }
    }

    private func response(_ body: Range<Int>) -> Response {
        let raw = UnsafeRawBufferPointer(input.readable)
        func header(_ name: StaticString) -> String? {
            reader.headers.find(name, in: raw).map { String(decoding: $0.bytes(in: raw), as: UTF8.self) }
        }
        return Response(status: Int(reader.head.status), retryAfter: header("retry-after"),
                        contentType: header("content-type"), body: Array(raw[body]))
    }
}
