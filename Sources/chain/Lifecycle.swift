import CSystem
import HTTP1
import Reactor
import Synchronization

enum Lifecycle {
    /// Blocks until SIGINT/SIGTERM, then shuts down gracefully: stop accepting, finish requests
    /// in flight, close idle connections; whatever is left at the deadline is closed.
    static func runUntilSignal(group: LoopGroup, servers: [HTTPServer], deadline: UInt64) {
        var sig: Int32 = 0
        while sig == 0 { sig = cs_wait_shutdown_signal(1000) }
        log("signal \(sig): shutting down (deadline \(deadline / 1_000_000_000) s)")
        let end = monotonicNanos() &+ deadline
        // Each loop stops once every server on it has drained.
        let pending = Mutex([Int: Int]())
        pending.withLock { p in for l in group.loops { p[l.index] = servers.count } }
        for server in servers {
            server.shutdown(group) { loop in
                let left = pending.withLock { p -> Int in
                    p[loop.index, default: 1] -= 1
                    return p[loop.index]!
                }
                if left == 0 { loop.stop() }
            }
        }
        if !group.wait(until: end) {
            log("shutdown deadline passed: closing remaining connections")
            for s in servers { s.forceClose(group) }
            _ = group.wait(until: monotonicNanos() &+ 1_000_000_000)
        }
        log("stopped")
    }
}
