import Foundation
import Glibc
import Reactor

/// A 127.0.0.1 TCP proxy for fault tests, one thread per connection. `freeze()` makes it stop
/// reading and writing on every connection, old and new, without closing any: to the client, a
/// peer that vanished without a reset, and one TCP cannot unmask either, since the proxy's kernel
/// still acknowledges data and keepalive probes. `thaw()` forwards again.
final class TCPProxy: @unchecked Sendable {
    let port: Int
    private let targetPort: Int
    private let listenFD: Int32
    private let lock = NSLock()
    private var frozenFlag = false
    private var stoppedFlag = false
    private var closedByClientCount = 0
    private var acceptedCount = 0
    private var generation = 0

    init(targetPort: Int) throws {
        self.targetPort = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: 0)
        let rc = withUnsafeBytes(of: addr.storage) { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), addr.length) }
        guard rc == 0, listen(fd, 64) == 0 else { close(fd); throw SystemError("proxy: cannot listen") }
        var sin = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listenFD = fd
        port = Int(UInt16(bigEndian: sin.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    var frozen: Bool { lock.withLock { frozenFlag } }
    private var stopped: Bool { lock.withLock { stoppedFlag } }
    /// Connections the client side closed (the pool gave them up).
    var closedByClient: Int { lock.withLock { closedByClientCount } }
    var accepted: Int { lock.withLock { acceptedCount } }

    func freeze() { lock.withLock { frozenFlag = true } }
    func thaw() { lock.withLock { frozenFlag = false } }
    /// Closes every connection open now (within a poll interval), both sides; new ones are
    /// accepted as before: to the client, a connection lost mid-batch.
    func cutAll() { lock.withLock { generation += 1 } }
    private var currentGeneration: Int { lock.withLock { generation } }

    /// Closes the listener and, within a poll interval, every connection.
    func stop() {
        lock.withLock { stoppedFlag = true }
        shutdown(listenFD, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listenFD) }
        while !stopped {
            var p = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0, !stopped else { continue }
            let client = accept(listenFD, nil, nil)
            guard client >= 0 else { continue }
            lock.withLock { acceptedCount += 1 }
            Thread { [self] in pipe(client) }.start()
        }
    }

    /// Linux's POLLRDHUP (the peer shut its side down), which Glibc exports only with _GNU_SOURCE.
    private static let pollRDHUP: Int16 = 0x2000

    private func pipe(_ client: Int32) {
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client); close(server) }
        guard let addr = try? SocketAddress.resolve(host: "127.0.0.1", port: targetPort),
              withUnsafeBytes(of: addr.storage, { connect(server, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), addr.length) }) == 0
        else { return }
        var buf = [UInt8](repeating: 0, count: 16384)
        let born = currentGeneration
        while !stopped && currentGeneration == born {
            if frozen {
                // Read nothing, but notice the client closing (POLLRDHUP needs no read).
                var p = pollfd(fd: client, events: Self.pollRDHUP, revents: 0)
                if poll(&p, 1, 20) > 0 && p.revents & (Self.pollRDHUP | Int16(POLLHUP | POLLERR)) != 0 {
                    lock.withLock { closedByClientCount += 1 }
                    return
                }
                continue
            }
            var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: server, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, 20) > 0 else { continue }
            for (i, (from, to)) in [(client, server), (server, client)].enumerated() where fds[i].revents != 0 {
                let n = read(from, &buf, buf.count)
                if n <= 0 {
                    if from == client { lock.withLock { closedByClientCount += 1 } }
                    return
                }
                var off = 0
                while off < n {
                    let w = buf[off..<n].withUnsafeBytes { write(to, $0.baseAddress, $0.count) }
                    if w <= 0 { return }
                    off += w
                }
            }
        }
    }
}
