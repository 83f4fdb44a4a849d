import CSystem
import CURing
import Glibc

/// The io_uring backend: readiness through IORING_OP_POLL_ADD for every registered descriptor,
/// so every handler (and libpq's socket) works as on epoll, and one io_uring_enter per loop
/// iteration submits the iteration's poll requests and waits with the timer wheel's timeout.
///
/// Level triggered like the epoll backend: each poll is one-shot and is armed again, in the
/// next iteration's batch, while its descriptor keeps the interest; arming checks readiness at
/// once, so a descriptor left ready by its handler is reported again. (A multishot poll is edge
/// triggered: it completes only on a wake-up, and a listener that accepts 64 connections per
/// event, or libpq reading once per call, would stall with data pending.)
///
/// Interest changes are batched like the epoll backend's: recorded per descriptor, and turned
/// into submissions once, before the wait. Dropping interest is lazy: the poll in flight stays,
/// and when it completes, events nobody wants are not reported and it is not armed again. Only a
/// poll that lacks a wanted event is removed and replaced.
///
/// Each poll's user_data is its descriptor and a per-descriptor generation (bumped at every
/// arm and every `forget`), so the completion of a removed poll, or of a poll on a closed
/// descriptor whose number was reused, is recognised as stale and dropped.
final class UringPoller: Poller {
    private var desired: [UInt32] = []     // poll bits handlers asked for, per fd
    private var armed: [UInt32] = []       // bits of the poll in flight, per fd (0: none)
    private var generation: [UInt32] = []  // tag of the poll in flight, per fd
    private var queued: [Bool] = []        // fd is in `dirty`
    private var dirty: [Int32] = []
    /// Polls that found no submission slot; a poll the kernel refuses completes with an error
    /// instead, which `wait` reports as `.error`.
    private(set) var refused: [Int32] = []
    private(set) var ctlFailures = 0
    private let completions: UnsafeMutablePointer<cs_completion>
    private let events: UnsafeMutablePointer<cs_event>
    private let capacity = 512
    /// user_data of POLL_REMOVE submissions, whose own completions carry nothing.
    private static let removal: UInt64 = .max
    /// The low half of a send's user_data (the slot is the high half): -2 is no descriptor, so
    /// a send's completion is never taken for a poll's, nor for a removal's (-1).
    private static let sendMark: UInt64 = 0xFFFF_FFFE
    private let sent: UnsafeMutablePointer<SendCompletion>
    private var sentCount = 0
    /// Descriptors with a send queued and not yet submitted (few: cleared at every enter).
    private var unsubmittedSends: [Int32] = []

    /// The ring is set up by the loop's own thread, at its first `applyChanges` (a loop is made
    /// on another thread): the kernel's clean-up of a ring interrupts the threads that used it
    /// (a blocking call with a timeout there returns EINTR), and a ring set up with
    /// IORING_SETUP_SINGLE_ISSUER takes submissions from its maker only.
    private var ringStorage: OpaquePointer?
    private var ring: OpaquePointer {
        if let r = ringStorage { return r }
        var r: OpaquePointer?
        let rc = cs_uring_open(&r, Self.registerRing ? 1 : 0)
        guard rc == 0, let r else {   // `IOBackend.uringUnavailableReason` said it would work
            fatalError(IOBackend.refusal(errno: -rc, disabledSysctl: TextFile.value("/proc/sys/kernel/io_uring_disabled")))
        }
        ringStorage = r
        return r
    }

    /// CHAIN_URING_REGISTER_RING=0 leaves the ring's fd unregistered, for measuring what the
    /// registration is worth.
    private static let registerRing = getenv("CHAIN_URING_REGISTER_RING").map { String(cString: $0) } != "0"

    init() {
        completions = .allocate(capacity: capacity)
        events = .allocate(capacity: capacity)
        sent = .allocate(capacity: capacity)
    }

    func close() {
        if let r = ringStorage { cs_uring_close(r) }   // cancels the polls in flight and drops their files
        completions.deallocate()
        events.deallocate()
        sent.deallocate()
    }

    private func grow(to fd: Int) {
        guard fd >= desired.count else { return }
        let n = max(fd + 1, desired.count * 2, 64)
        desired += Array(repeating: 0, count: n - desired.count)
        armed += Array(repeating: 0, count: n - armed.count)
        generation += Array(repeating: 0, count: n - generation.count)
        queued += Array(repeating: false, count: n - queued.count)
    }

    @inline(__always)
    private func tag(_ fd: Int32) -> UInt64 {
        UInt64(generation[Int(fd)]) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    @inline(__always)
    private func enqueue(_ fd: Int32) {
        if queued[Int(fd)] { return }
        queued[Int(fd)] = true
        dirty.append(fd)
    }

    func setInterest(_ fd: Int32, _ interest: Interest) {
        let i = Int(fd)
        grow(to: i)
        let bits = interest.epollBits
        if desired[i] == bits { return }
        desired[i] = bits
        enqueue(fd)
    }

    /// A poll in flight holds a reference to the file: it is removed (in the next submission),
    /// or the owner's close would not release the socket until the poll completes.
    ///
    /// A send still queued for fd is submitted now: after the owner's close the number may be
    /// reused by the next accept, and the queued send would then go to that socket.
    func forget(_ fd: Int32) {
        if unsubmittedSends.contains(fd) {
            _ = cs_uring_submit(ring)
            unsubmittedSends.removeAll(keepingCapacity: true)
        }
        let i = Int(fd)
        guard i < desired.count else { return }
        if armed[i] != 0 { remove(fd) }
        armed[i] = 0
        desired[i] = 0
        generation[i] &+= 1
    }

    private func remove(_ fd: Int32) {
        if cs_uring_poll_remove(ring, tag(fd), Self.removal) != 0 { ctlFailures += 1 }
    }

    func applyChanges() {
        refused.removeAll(keepingCapacity: true)
        // By index: a `for in` would hold a second reference to the buffer (in debug builds, to
        // the end of the scope), and `removeAll(keepingCapacity:)` would then reallocate it.
        for k in dirty.indices {
            let fd = dirty[k], i = Int(fd)
            queued[i] = false
            let want = desired[i], have = armed[i]
            if want & ~have == 0 { continue }   // the poll in flight covers it (or none is wanted)
            if have != 0 { remove(fd) }
            generation[i] &+= 1
            if cs_uring_poll_add(ring, fd, want, tag(fd)) == 0 {
                armed[i] = want
            } else {   // no submission slot even after submitting: report, as epoll does
                armed[i] = 0
                ctlFailures += 1
                refused.append(fd)
            }
        }
        dirty.removeAll(keepingCapacity: true)
    }

    /// A removal still queued when the loop ends would keep its socket open (a closed
    /// listener still accepting, a closed connection never reaching its peer) until the ring
    /// is closed.
    func submitPending() {
        applyChanges()
        _ = cs_uring_submit(ring)
        unsubmittedSends.removeAll(keepingCapacity: true)
    }

    func queueSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, slot: UInt32) -> Bool {
        guard cs_uring_send(ring, fd, bytes, UInt32(clamping: count), UInt64(slot) << 32 | Self.sendMark) == 0 else { return false }
        if !unsubmittedSends.contains(fd) { unsubmittedSends.append(fd) }
        return true
    }

    var sendCompletions: UnsafeBufferPointer<SendCompletion> { UnsafeBufferPointer(start: sent, count: sentCount) }

    func wait(timeoutMs: Int32) -> UnsafeBufferPointer<cs_event> {
        let n = cs_uring_enter(ring, completions, Int32(capacity), timeoutMs)
        unsubmittedSends.removeAll(keepingCapacity: true)
        sentCount = 0
        // A failed io_uring_enter (none is expected once the ring exists) is an empty wake-up,
        // like a failed epoll_wait: the loop re-checks timers and tasks.
        var count = 0
        for k in 0..<max(0, Int(n)) {
            let c = completions[k]
            if c.data == Self.removal { continue }
            if c.data & 0xFFFF_FFFF == Self.sendMark {
                sent[sentCount] = SendCompletion(slot: UInt32(truncatingIfNeeded: c.data >> 32), result: c.res)
                sentCount += 1
                continue
            }
            let fd = Int32(truncatingIfNeeded: c.data)
            let i = Int(fd)
            guard i >= 0, i < armed.count, armed[i] != 0, tag(fd) == c.data else { continue }   // stale
            armed[i] = 0
            var bits: UInt32
            if c.res < 0 {
                // The kernel would not watch it (EBADF, ...): `.error` to its handler, and no
                // new poll until the handler sets its interest again.
                ctlFailures += 1
                desired[i] = 0
                bits = CS_EPOLLERR
            } else {
                bits = UInt32(bitPattern: c.res) & (desired[i] | CS_EPOLLERR | CS_EPOLLHUP)
                if desired[i] != 0 { enqueue(fd) }   // level triggered: armed again next iteration
            }
            if bits == 0 { continue }
            events[count] = cs_event(events: bits, data: UInt64(UInt32(bitPattern: fd)))
            count += 1
        }
        return UnsafeBufferPointer(start: events, count: count)
    }
}
