// The exporter's one way of waiting (on its thread, and in `chain trace`'s fetch through the same
// client): poll(2) on a socket (or on nothing) bounded by a deadline and cut short by shutdown.
// Until shutdown is requested every poll also watches the stop pipe; `requestStop` lowers the
// stop deadline and then signals it, so a wait in progress (a sleep between batches, a backoff,
// a slow collector) re-checks its deadline at once.

import Glibc
import Reactor
import Synchronization
import Tracing

/// `@unchecked Sendable`: the descriptors are fixed at init and the flags and stop deadline are
/// atomics; any thread may nudge or request a stop, the exporter thread alone waits.
final class ExportWaker: @unchecked Sendable {
    /// The read end of a pipe that becomes readable on shutdown, and its write end.
    private let stopPipeRead: Int32
    private let stopPipeWrite: Int32
    private let stopping = Atomic<Bool>(false)
    /// `Instant.nanoseconds` of the stop deadline (an atomic holds the raw value).
    private let stopDeadlineNanos = Atomic<UInt64>(UInt64.max)
    /// A second pipe the loops write to when a ring fills faster than the schedule delay
    /// drains it; `nudged` keeps it to one byte per wake-up.
    private let nudgePipeRead: Int32
    private let nudgePipeWrite: Int32
    private let nudged = Atomic<Bool>(false)

    init() {
        (stopPipeRead, stopPipeWrite) = Self.nonBlockingPipe()
        (nudgePipeRead, nudgePipeWrite) = Self.nonBlockingPipe()
    }

    /// (read end, write end), both non-blocking and close-on-exec; (-1, -1) if pipe(2) failed.
    private static func nonBlockingPipe() -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return (-1, -1) }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return (fds[0], fds[1])
    }

    deinit {
        for fd in [stopPipeRead, stopPipeWrite, nudgePipeRead, nudgePipeWrite] where fd >= 0 { close(fd) }
    }

    /// Wakes a sleep between batches early (any thread; at most one write per wake-up).
    func nudge() {
        if nudged.exchange(true, ordering: .acquiringAndReleasing) { return }
        var one: UInt8 = 1
        if nudgePipeWrite >= 0 { _ = write(nudgePipeWrite, &one, 1) }
    }

    /// Sleeps until `deadline`, a nudge, or shutdown; true when shutdown cut it short.
    @discardableResult
    func sleepBetweenBatches(until deadline: Instant) -> Bool {
        let r = wait(fd: nudgePipeRead, events: Int16(POLLIN), until: deadline, returnOnStop: true)
        if case .ready = r {
            var buf: (UInt64, UInt64) = (0, 0)
            _ = withUnsafeMutableBytes(of: &buf) { read(nudgePipeRead, $0.baseAddress, $0.count) }
            nudged.store(false, ordering: .releasing)
        }
        return r == .stopped
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }
    /// Never reached (nanoseconds UInt64.max) until shutdown is requested.
    var stopDeadline: Instant { Instant(nanoseconds: stopDeadlineNanos.load(ordering: .acquiring)) }

    func requestStop(deadline: Instant) {
        stopDeadlineNanos.store(deadline.nanoseconds, ordering: .releasing)
        stopping.store(true, ordering: .releasing)
        var one: UInt8 = 1
        if stopPipeWrite >= 0 { _ = write(stopPipeWrite, &one, 1) }
    }

    enum WaitResult: Equatable {
        /// `fd` reported these poll events.
        case ready(Int16)
        /// The deadline (or the stop deadline) passed.
        case timedOut
        /// Shutdown was requested (only with `returnOnStop`).
        case stopped
        case failed(Int32)
    }

    /// Waits until `fd` (-1: none) reports one of `events`, or `deadline` / the stop deadline passes.
    /// With `returnOnStop` a shutdown request ends the wait at once; without it the wait goes on,
    /// bounded by the (new) stop deadline.
    func wait(fd: Int32, events: Int16, until deadline: Instant, returnOnStop: Bool = false) -> WaitResult {
        while true {
            let stopped = isStopping
            if stopped && returnOnStop { return .stopped }
            let limit = min(deadline, stopDeadline)
            let now = Instant.now()
            if now >= limit { return .timedOut }
            let left = (limit - now).nanoseconds
            let ms = Int32(clamping: (left / 1_000_000) + (left % 1_000_000 == 0 ? 0 : 1))
            var fds = [pollfd](repeating: pollfd(), count: 2)
            var n = 0
            if fd >= 0 {
                fds[n] = pollfd(fd: fd, events: events, revents: 0)
                n += 1
            }
            let wakeIndex = n
            if !stopped && stopPipeRead >= 0 {
                fds[n] = pollfd(fd: stopPipeRead, events: Int16(POLLIN), revents: 0)
                n += 1
            }
            let r = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t(n), ms) }
            if r < 0 {
                if errno == EINTR { continue }
                return .failed(errno)
            }
            if r == 0 { continue }  // the loop re-checks the clock
            if fd >= 0 && fds[0].revents != 0 { return .ready(fds[0].revents) }
            if wakeIndex < n && fds[wakeIndex].revents != 0 {
                // The pipe stays readable from now on; `stopped` keeps it out of later polls.
                continue
            }
        }
    }

    /// Sleeps until `deadline`; true when it returned early because shutdown was requested.
    @discardableResult
    func sleep(until deadline: Instant, returnOnStop: Bool) -> Bool {
        wait(fd: -1, events: 0, until: deadline, returnOnStop: returnOnStop) == .stopped
    }
}
