import CSystem
import Glibc

/// The epoll backend. Interest changes are recorded and applied in one pass right before
/// `wait`, so a handler that flips its interest several times in an iteration costs at most
/// one epoll_ctl (the h2o evloop approach).
struct EpollPoller {
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

    private mutating func grow(to fd: Int) {
        guard fd >= registered.count else { return }
        let n = max(fd + 1, registered.count * 2, 64)
        registered += Array(repeating: 0, count: n - registered.count)
        desired += Array(repeating: 0, count: n - desired.count)
        known += Array(repeating: false, count: n - known.count)
    }

    mutating func setInterest(_ fd: Int32, _ interest: Interest) {
        let i = Int(fd)
        grow(to: i)
        let bits = interest.epollBits
        if desired[i] == bits { return }
        let wasClean = desired[i] == registered[i]
        desired[i] = bits
        if wasClean { dirty.append(fd) }
    }

    /// Forgets fd; the caller closes it, which removes it from the epoll set in the kernel.
    mutating func forget(_ fd: Int32) {
        let i = Int(fd)
        guard i < known.count else { return }
        if known[i] { _ = cs_epoll_ctl(epfd, CS_EPOLL_CTL_DEL, fd, 0, 0) }
        known[i] = false
        registered[i] = 0
        desired[i] = 0
    }

    mutating func applyChanges() {
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
    private mutating func control(_ op: Int32, _ fd: Int32, _ bits: UInt32) -> Bool {
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

    /// Waits for readiness; returns the events in a buffer valid until the next call. The caller
    /// applies pending interest changes first (`applyChanges`).
    mutating func wait(timeoutMs: Int32) -> UnsafeBufferPointer<cs_event> {
        let n = cs_epoll_wait(epfd, events, Int32(capacity), timeoutMs)
        // EINTR (or any failure) is an empty wake-up: the loop re-checks timers and tasks.
        return UnsafeBufferPointer(start: events, count: max(0, Int(n)))
    }
}
