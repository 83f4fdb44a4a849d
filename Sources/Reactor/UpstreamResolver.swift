import Glibc

/// Keeps the clients of every loop pointed at a host name's current address: the one
/// "look the host up again after a failed connect" of the runtime (HTTP clients, database pools).
///
/// Clients resolve their host once, at start. When a connect fails the upstream may have come
/// back elsewhere (a recreated container gets a new address from Docker's DNS), so the failing
/// client asks for a new lookup: it runs on a short-lived thread, never on a loop (getaddrinfo
/// blocks), at most once per `minInterval`, and each subscriber then gets the answer on its own
/// loop, through the loop's task queue. Requests in flight are not touched; the next connection
/// uses the new address.
public final class UpstreamResolver: @unchecked Sendable {
    /// A subscriber's callback, run only on `loop`'s thread: that confinement is why the
    /// non-Sendable closure may cross to the lookup thread inside this struct.
    private struct Subscriber {
        let loop: EventLoop
        let apply: (SocketAddress) -> Void
    }

    public let host: String
    public let port: Int
    private let minInterval: UInt64
    private let lock = Lock()
    private var subscribers: [Subscriber] = []   // guarded by lock
    private var running = false                  // guarded by lock
    private var lastStart: UInt64 = 0            // guarded by lock
    private var lookups = 0                      // guarded by lock

    public init(host: String, port: Int, minInterval: UInt64 = 1_000_000_000) {
        self.host = host
        self.port = port
        self.minInterval = minInterval
    }

    /// Every lookup's answer goes to `apply`, on `loop`'s thread.
    public func subscribe(on loop: EventLoop, _ apply: @escaping (SocketAddress) -> Void) {
        lock.withLock { subscribers.append(Subscriber(loop: loop, apply: apply)) }
    }

    /// Starts a lookup unless one runs or one started less than `minInterval` ago. Any thread.
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
            let targets = lock.withLock { () -> [Subscriber] in
                running = false
                return subscribers
            }
            guard let address else { return }
            for target in targets {
                nonisolated(unsafe) let apply = target.apply   // runs on its own loop only
                target.loop.execute { apply(address) }
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
