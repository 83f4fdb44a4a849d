import CSystem
import Glibc
import HTTP1
import Reactor
import Synchronization

enum Lifecycle {
    /// Blocks until SIGINT or SIGTERM; returns the signal.
    static func waitForSignal() -> Int32 {
        var sig: Int32 = 0
        while sig == 0 { sig = cs_wait_shutdown_signal(1000) }
        return sig
    }

    /// Shuts down gracefully within `timeout`, all of it: stop accepting, finish requests in
    /// flight, close idle connections (whatever is left at the drain deadline is closed), then
    /// `flush(deadline)` sends the spans still queued. A container runtime kills at its own
    /// timeout (Docker: 10 s after SIGTERM), so the phases share one budget instead of taking one
    /// each.
    static func shutdown(group: LoopGroup, servers: [HTTPServer], timeout: TimeAmount, flush: (_ deadline: Instant) -> Void) {
        let budget = ShutdownBudget(start: Instant.now(), timeout: timeout)
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
        if servers.isEmpty {
            for l in group.loops {
                nonisolated(unsafe) let l = l   // stop() runs on the loop's own thread
                l.execute { l.stop() }
            }
        }
        if !group.wait(until: budget.drainDeadline) {
            log("shutdown: drain deadline passed, closing remaining connections")
            for s in servers { s.forceClose(group) }
            _ = group.wait(until: budget.closeDeadline)
        }
        flush(budget.flushDeadline)
    }
}

/// How one shutdown timeout is shared: requests in flight get all but a reserve, which the span
/// flush keeps (it also gets whatever the drain did not use), and the process exits a little
/// before the end so that its own exit never crosses the line.
struct ShutdownBudget {
    let drainDeadline: Instant
    /// After a forced close, how long the loops get to notice and stop.
    let closeDeadline: Instant
    let flushDeadline: Instant

    init(start: Instant, timeout: TimeAmount) {
        let exitReserve = min(TimeAmount(nanoseconds: timeout.nanoseconds / 10), .milliseconds(300))
        let flushReserve = min(TimeAmount(nanoseconds: timeout.nanoseconds / 5), .seconds(2))
        flushDeadline = start + (timeout - exitReserve)
        drainDeadline = flushDeadline - flushReserve
        closeDeadline = drainDeadline + TimeAmount(nanoseconds: flushReserve.nanoseconds / 4)
    }
}

/// One line on stderr, unbuffered (the loops may be writing too).
public func log(_ s: String) {
    var line = s + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
