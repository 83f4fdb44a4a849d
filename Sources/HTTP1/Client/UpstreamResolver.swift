import Glibc
import Reactor

/// Keeps the HTTP clients of every loop pointed at a host name's current address.
///
/// Clients resolve their host once, at start. When a connect fails the upstream may have come
/// back elsewhere (a recreated container gets a new address from Docker's DNS), so the failing
/// client asks for a new lookup: it runs on a short-lived thread, never on a loop (getaddrinfo
/// blocks), at most once per `minInterval`, and each loop then gets the answer through its task
/// queue. Requests in flight are not touched; the next connection uses the new address.
public final class UpstreamResolver: @unchecked Sendable {
    public let host: String
    public let port: Int
    private let minInterval: UInt64
    private let lock = Lock()
    private var clients: [(loop: EventLoop, client: HTTPClient)] = []   // guarded by lock
    private var running = false                                          // guarded by lock
    private var lastStart: UInt64 = 0                                    // guarded by lock
    private var lookups = 0                                              // guarded by lock

    public init(host: String, port: Int, minInterval: UInt64 = 1_000_000_000) {
        self.host = host
        self.port = port
        self.minInterval = minInterval
    }

    /// On `client`'s loop, once: its connect failures trigger lookups from now on.
    public func watch(_ client: HTTPClient) {
        lock.withLock { clients.append((client.loop, client)) }
        client.onConnectFailure = { [weak self] in self?.refresh() }
    }

    /// Starts a lookup unless one runs or one started less than `minInterval` ago.
    public func refresh() {
        let now = monotonicNanos()
        let start: Bool = lock.withLock {
            if running || (lookups > 0 && now &- lastStart < minInterval) { return false }
            running = true
            lastStart = now
            lookups += 1
            return true
        }
        guard start else { return }
        let thread = try? OSThread.spawn(name: "resolve") { [self] in
            let address = try? SocketAddress.resolve(host: host, port: port)
            let targets = lock.withLock { () -> [(loop: EventLoop, client: HTTPClient)] in
                running = false
                return clients
            }
            guard let address else { return }
            for (loop, client) in targets {
                nonisolated(unsafe) let c = client
                loop.execute { c.address = address }
            }
        }
        guard let thread else {
            lock.withLock { running = false }   // no thread to spare: the next failure tries again
            return
        }
        thread.detach()
    }

    /// Lookups started so far.
    public var lookupCount: Int { lock.withLock { lookups } }
}
