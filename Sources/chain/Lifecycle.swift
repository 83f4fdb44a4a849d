import CSystem
import HTTP1
import Reactor
import Synchronization

enum Lifecycle {
    /// Blocks until SIGINT/SIGTERM, then shuts down gracefully within `timeout` (ns) of the
    /// signal, all of it: stop accepting, finish requests in flight, close idle connections
    /// (whatever is left at the drain deadline is closed), then `flush(deadline)` sends the spans
    /// still queued. A container runtime kills at its own timeout (Docker: 10 s after SIGTERM),
    /// so the two phases share one budget instead of taking one each.
    static func runUntilSignal(group: LoopGroup, servers: [HTTPServer], timeout: UInt64, flush: (_ deadline: UInt64) -> Void) {
        var sig: Int32 = 0
        while sig == 0 { sig = cs_wait_shutdown_signal(1000) }
        let budget = ShutdownBudget(start: monotonicNanos(), timeout: timeout)
        log("signal \(sig): shutting down (deadline \(timeout / 1_000_000) ms)")
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
        if !group.wait(until: budget.drainDeadline) {
            log("shutdown: drain deadline passed, closing remaining connections")
            for s in servers { s.forceClose(group) }
            _ = group.wait(until: budget.closeDeadline)
        }
        flush(budget.flushDeadline)
        log("stopped")
    }
}

/// How one shutdown timeout is shared: requests in flight get all but a reserve, which the span
/// flush keeps (it also gets whatever the drain did not use), and the process exits a little
/// before the end so that its own exit never crosses the line.
struct ShutdownBudget {
    let drainDeadline: UInt64
    /// After a forced close, how long the loops get to notice and stop.
    let closeDeadline: UInt64
    let flushDeadline: UInt64

    init(start: UInt64, timeout: UInt64) {
        let exitReserve = min(timeout / 10, 300_000_000)
        let flushReserve = min(timeout / 5, 2_000_000_000)
        flushDeadline = start &+ (timeout - exitReserve)
        drainDeadline = flushDeadline - flushReserve
        closeDeadline = drainDeadline + flushReserve / 4
    }
}
