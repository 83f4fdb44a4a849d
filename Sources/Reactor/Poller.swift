import CSystem
import Glibc

/// A readiness backend of the loop (`IOBackend`): the loop records interest as handlers change
/// it, applies the changes once per iteration, then waits. Both backends are level triggered:
/// a descriptor still ready after its handler ran is reported again in the next iteration, which
/// the handlers rely on (the listener accepts at most 64 per event, libpq reads once per call,
/// back-pressure drops read interest and takes it back later).
protocol Poller: AnyObject {
    func setInterest(_ fd: Int32, _ interest: Interest)
    /// Forgets fd before its owner closes it.
    func forget(_ fd: Int32)
    /// Applies the interest changes recorded since the last call (or queues them for `wait`).
    func applyChanges()
    /// Descriptors the kernel refused to watch in the last `applyChanges` (reported as `.error`).
    var refused: [Int32] { get }
    /// Interest changes the kernel refused, recovered or not (published as a metric).
    var ctlFailures: Int { get }
    /// Hands the kernel what `applyChanges` and `forget` queued, without waiting: the loop's
    /// last act, so that a descriptor closed in its last iteration is really released.
    func submitPending()
    /// Waits for readiness; the events (`data` is the descriptor) are valid until the next call.
    func wait(timeoutMs: Int32) -> UnsafeBufferPointer<cs_event>
    func close()
    /// Queues a send of `count` bytes at `bytes`, submitted with the next `wait` (or
    /// `submitPending`); its result comes back in `sendCompletions` under `slot`. False when
    /// the backend has no such thing (epoll) or no submission slot.
    func queueSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, slot: UInt32) -> Bool
    /// The sends that completed in the last `wait`; valid until the next call.
    var sendCompletions: UnsafeBufferPointer<SendCompletion> { get }
}

/// The outcome of a queued send: bytes sent, or -errno.
struct SendCompletion {
    var slot: UInt32
    var result: Int32
}

/// The epoll backend. Interest changes are recorded and applied in one pass right before
/// `wait`, so a handler that flips its interest several times in an iteration costs at most
/// one epoll_ctl (the h2o evloop approach).
final class EpollPoller: Poller {
    let epfd: Int32
    private var registered: [UInt32] = []   // bits the kernel has, per fd
    private var desired: [UInt32] = []      // bits handlers asked for, per fd
    private var known: [Bool] = []          // fd is in the epoll set
    private var dirty: [Int32] = []
    /// Descriptors whose interest the kernel refused in the last `applyChanges`; the loop
    /// reports them to their handlers as `.error`, so a failure is never silent.
    private(set) var refused: [Int32] = []
    /// epoll_ctl calls that failed, recovered or not (a kernel or bookkeeping surprise); the
    /// loop publishes the total for the metrics thread.
    private(set) var ctlFailures = 0
    private var events: UnsafeMutablePointer<cs_event>
    let capacity = 512

    init() {
        epfd = cs_epoll_create()
        precondition(epfd >= 0, "epoll_create1 failed: errno \(errno)")
        events = .allocate(capacity: capacity)
    }

    func close() {
        Glibc.close(epfd)
        events.deallocate()
    }

    private func grow(to fd: Int) {
        guard fd >= registered.count else { return }
        let n = max(fd + 1, registered.count * 2, 64)
        registered += Array(repeating: 0, count: n - registered.count)
        desired += Array(repeating: 0, count: n - desired.count)
        known += Array(repeating: false, count: n - known.count)
    }

    func setInterest(_ fd: Int32, _ interest: Interest) {
        let i = Int(fd)
        grow(to: i)
        let bits = interest.epollBits
        if desired[i] == bits { return }
        let wasClean = desired[i] == registered[i]
        desired[i] = bits
        if wasClean { dirty.append(fd) }
    }

    /// Forgets fd; the caller closes it, which removes it from the epoll set in the kernel.
    func forget(_ fd: Int32) {
        let i = Int(fd)
        guard i < known.count else { return }
        if known[i] { _ = cs_epoll_ctl(epfd, CS_EPOLL_CTL_DEL, fd, 0, 0) }
        known[i] = false
        registered[i] = 0
        desired[i] = 0
    }

    func applyChanges() {
        refused.removeAll(keepingCapacity: true)
        for fd in dirty {
            let i = Int(fd)
            let bits = desired[i]
            if bits == registered[i] { continue }
            if control(known[i] ? CS_EPOLL_CTL_MOD : CS_EPOLL_CTL_ADD, fd, bits) {
                registered[i] = bits
                known[i] = true
            } else {
                known[i] = false
                registered[i] = 0
                refused.append(fd)
            }
        }
        dirty.removeAll(keepingCapacity: true)
    }

    /// One epoll_ctl, recovering from a stale view of the kernel's set: MOD of a descriptor the
    /// kernel dropped (closed and reopened under the same number, as libpq does in
    /// PQconnectPoll) is retried as ADD, and ADD of one it still has as MOD.
    private func control(_ op: Int32, _ fd: Int32, _ bits: UInt32) -> Bool {
        let data = UInt64(UInt32(bitPattern: fd))
        if cs_epoll_ctl(epfd, op, fd, bits, data) == 0 { return true }
        ctlFailures += 1
        if op == CS_EPOLL_CTL_MOD && errno == ENOENT {
            return cs_epoll_ctl(epfd, CS_EPOLL_CTL_ADD, fd, bits, data) == 0
        }
        if op == CS_EPOLL_CTL_ADD && errno == EEXIST {
            return cs_epoll_ctl(epfd, CS_EPOLL_CTL_MOD, fd, bits, data) == 0
        }
        return false
    }

    func queueSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, slot: UInt32) -> Bool { false }
    var sendCompletions: UnsafeBufferPointer<SendCompletion> { UnsafeBufferPointer(start: nil, count: 0) }

    /// Nothing is pending: `applyChanges` and `forget` call epoll_ctl at once.
    func submitPending() {}

    /// Waits for readiness; returns the events in a buffer valid until the next call. The caller
    /// applies pending interest changes first (`applyChanges`).
    func wait(timeoutMs: Int32) -> UnsafeBufferPointer<cs_event> {
        let n = cs_epoll_wait(epfd, events, Int32(capacity), timeoutMs)
        // EINTR (or any failure) is an empty wake-up: the loop re-checks timers and tasks.
        return UnsafeBufferPointer(start: events, count: max(0, Int(n)))
    }
}
