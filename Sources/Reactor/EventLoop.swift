import CSystem
import Glibc
import Synchronization

/// One event loop: a thread that owns a set of descriptors, timers and per-loop state, and runs
/// them one iteration at a time (poll, dispatch, timers, tasks, tick observers), like Redis' ae.c.
/// Everything on a loop is touched only from its thread; other threads talk to it via `execute`.
public final class EventLoop {
    public let index: Int
    /// `.epoll` or `.uring`: the kernel interface this loop waits on.
    public let backend: IOBackend
    private let poller: any Poller
    private var handlers: [IOHandler?] = []
    public let timers: TimerWheel
    public let buffers: BufferPool
    /// Monotonic time of the current iteration: one clock read per wake-up.
    public private(set) var now: Instant
    /// `wallNow`'s reading for this iteration; 0 until something asks.
    @usableFromInline var wallThisIteration: UInt64 = 0
    private let clock: LoopClock
    private var observers: [TickObserver] = []
    private var localTasks: [() -> Void] = []
    private var spareTasks: [() -> Void] = []
    private let remoteLock = Lock()
    private var remote = RemoteQueue()   // guarded by remoteLock
    private let wakeFD: Int32
    private var running = false
    private var threadID: pthread_t?     // guarded by remoteLock
    /// Sends handed to the kernel (`send`), by slot: each holds its buffer, whose memory the
    /// kernel reads until the completion, and the handler to tell.
    private var sends: [InFlightSend?] = []
    private var freeSendSlots: [UInt32] = []
    /// Whether `send` is offered: io_uring only (epoll has no submission queue to batch into).
    public let sendsAsynchronously: Bool

    private struct InFlightSend {
        let buffer: IOBuffer
        let handler: SendCompletionHandler
    }

    struct RemoteQueue {
        var tasks: [() -> Void] = []
        var wakePending = false
    }

    /// `backend` is resolved here (`auto` falls back silently; the process logs its choice where
    /// it resolves it first). A refused `uring` is fatal: callers that take a user's choice
    /// resolve it first (`IOBackend.resolved`) and report the refusal.
    public init(index: Int, bufferSize: Int = 16 * 1024, backend: IOBackend = .environmentDefault,
                clock: LoopClock = .monotonic) {
        self.index = index
        self.clock = clock
        do {
            let concrete = try backend.resolved().backend
            self.backend = concrete
            poller = concrete == .uring ? UringPoller() : EpollPoller()
            // CHAIN_URING_SEND=0 keeps io_uring a readiness backend (send(2) per write), for
            // measuring what the batched sends are worth.
            sendsAsynchronously = concrete == .uring && getenv("CHAIN_URING_SEND").map { String(cString: $0) } != "0"
        } catch {
            fatalError("event loop \(index): \(error)")
        }
        now = clock.now()
        timers = TimerWheel(now: now)
        buffers = BufferPool(size: bufferSize)
        wakeFD = cs_eventfd()
        precondition(wakeFD >= 0, "eventfd failed")
        poller.setInterest(wakeFD, .read)
    }

    deinit {
        close(wakeFD)
        poller.close()
    }

    // MARK: descriptors

    public func register(_ fd: Int32, _ handler: IOHandler, interest: Interest) {
        let i = Int(fd)
        if i >= handlers.count {
            handlers += [IOHandler?](repeating: nil, count: max(i + 1, handlers.count * 2, 64) - handlers.count)
        }
        handlers[i] = handler
        poller.setInterest(fd, interest)
    }

    /// Changes interest; applied once, right before the next poll.
    @inline(__always)
    public func setInterest(_ fd: Int32, _ interest: Interest) {
        poller.setInterest(fd, interest)
    }

    /// Removes fd from the loop without closing it (for descriptors a library owns, e.g. libpq's).
    public func deregister(_ fd: Int32) {
        poller.forget(fd)
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    /// Removes fd from the loop and closes it.
    public func closeDescriptor(_ fd: Int32) {
        poller.forget(fd)
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
        close(fd)
    }

    /// Interest changes the kernel refused (epoll_ctl, or an io_uring poll that failed),
    /// recovered or reported to the handler as `.error`; safe
    /// from any thread (the metrics scrape reads it).
    public var interestFailures: Int { publishedCtlFailures.load(ordering: .relaxed) }
    private let publishedCtlFailures = Atomic<Int>(0)

    public func addTickObserver(_ o: TickObserver) { observers.append(o) }

    /// Called at the end of every iteration with the time it was busy: from the wake-up to the
    /// last tick observer (events, timers, tasks, the flushes they queued). A request that
    /// arrives meanwhile waits that long, so the tail of this histogram is the loop's share of
    /// tail latency. Set before the loop runs; when nil the loop reads no extra clock.
    public var onIterationEnded: ((_ busy: TimeAmount) -> Void)?

    // MARK: sends

    /// Sends `buffer`'s readable bytes with the loop's next io_uring_enter instead of a send(2)
    /// of their own; `handler.sendCompleted` gets the result (bytes sent, which may be fewer, or
    /// -errno: -EAGAIN when the socket's buffer is full) in a later iteration. Only when
    /// `sendsAsynchronously`. Until then the kernel reads the buffer's memory: the caller must
    /// not append to, compact or give back the buffer, and must not close fd other than through
    /// `closeDescriptor` (which submits a send still queued before the number can be reused).
    /// The loop holds the buffer and the handler until the completion.
    public func send(_ fd: Int32, _ buffer: IOBuffer, _ handler: SendCompletionHandler) {
        let slot: UInt32
        if let s = freeSendSlots.popLast() {
            slot = s
        } else {
            slot = UInt32(sends.count)
            sends.append(nil)
        }
        sends[Int(slot)] = InFlightSend(buffer: buffer, handler: handler)
        let bytes = buffer.readable
        if let base = bytes.baseAddress, poller.queueSend(fd, base, bytes.count, slot: slot) { return }
        // No submission slot even after submitting what was queued: send(2) now, and report it
        // like a completion, after this iteration's events (never from inside the caller).
        let n = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        let result = n >= 0 ? Int32(n) : -errno
        runAfterEvents { [unowned self] in self.sendCompleted(slot: slot, result: result) }
    }

    private func sendCompleted(slot: UInt32, result: Int32) {
        guard let s = sends[Int(slot)] else { return }
        sends[Int(slot)] = nil
        freeSendSlots.append(slot)
        s.handler.sendCompleted(s.buffer, result: Int(result))
    }

    // MARK: tasks

    /// Runs `task` on this loop after the current iteration's events. Loop thread only.
    public func runAfterEvents(_ task: @escaping () -> Void) { localTasks.append(task) }

    /// Runs `task` on this loop; safe from any thread.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let wake = remoteLock.withLock { () -> Bool in
            remote.tasks.append(task)
            if remote.wakePending { return false }
            remote.wakePending = true
            return true
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    public var inLoopThread: Bool {
        remoteLock.withLock { threadID.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    // MARK: running

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        remoteLock.withLock { threadID = pthread_self() }
        running = true
        while running { runOnce() }
        drainTasks()
        poller.submitPending()
    }

    /// Wall-clock nanoseconds since the Unix epoch, read at the first use in an iteration and
    /// kept for the rest of it: never earlier than the wake-up that brought the iteration's
    /// work, never later than what asks for it. Server spans start at it, so a loop under load
    /// reads the wall clock once for a batch of requests, not once for each.
    @inlinable
    public var wallNow: UInt64 {
        if wallThisIteration == 0 { wallThisIteration = wallNanos() }
        return wallThisIteration
    }

    /// Asks the loop to return from `run` after the current iteration. Loop thread only.
    public func stop() { running = false }

    private func runOnce() {
        poller.applyChanges()
        if poller.ctlFailures != publishedCtlFailures.load(ordering: .relaxed) {
            publishedCtlFailures.store(poller.ctlFailures, ordering: .relaxed)
        }
        // A refused descriptor is reported this iteration, not after a full sleep.
        let idle = localTasks.isEmpty && poller.refused.isEmpty
        let timeout: Int32 = idle ? timers.millisecondsUntilNext(maxMs: 1000) : 0
        let events = poller.wait(timeoutMs: timeout)
        now = clock.now()
        wallThisIteration = 0
        if !poller.refused.isEmpty { reportRefused() }
        // Before the readiness events: a connection whose send completed has its buffer back
        // before it answers anything else in this batch.
        for c in poller.sendCompletions { sendCompleted(slot: c.slot, result: c.result) }
        for ev in events {
            let fd = Int32(truncatingIfNeeded: ev.data)
            if fd == wakeFD {
                var v: UInt64 = 0
                _ = read(wakeFD, &v, 8)
                continue
            }
            // A handler closed earlier in this batch leaves nil here; a reused fd gets a
            // spurious event, which non-blocking handlers treat as EAGAIN.
            if Int(fd) < handlers.count, let h = handlers[Int(fd)] {
                h.ioReady(IOEvents(epoll: ev.events))
            }
        }
        timers.advance(to: now)
        drainTasks()
        for o in observers { o.tickEnded() }
        if let record = onIterationEnded { record(clock.now() - now) }
    }

    /// Descriptors the kernel would not watch reach their handlers as `.error`, so their owner
    /// closes them instead of waiting forever for readiness.
    private func reportRefused() {
        for fd in poller.refused where Int(fd) < handlers.count {
            handlers[Int(fd)]?.ioReady(.error)
        }
    }

    private func drainTasks() {
        let remoteTasks = remoteLock.withLock { () -> [() -> Void] in
            remote.wakePending = false
            if remote.tasks.isEmpty { return [] }
            let t = remote.tasks
            remote.tasks.removeAll()
            return t
        }
        for t in remoteTasks { t() }
        // Tasks may schedule more tasks; run them in later iterations so I/O is not starved.
        if !localTasks.isEmpty {
            swap(&localTasks, &spareTasks)   // two arrays trade places: no allocation per batch
            for t in spareTasks { t() }
            spareTasks.removeAll(keepingCapacity: true)
        }
    }

    // MARK: timers

    /// A one-shot timer for non-hot paths (allocates a LoopTimer); returns it so it can be cancelled.
    @discardableResult
    public func schedule(after delay: TimeAmount, _ action: @escaping () -> Void) -> LoopTimer {
        let t = LoopTimer(action)
        timers.arm(t, at: clock.now() + delay)
        return t
    }
}
