/// Runs Swift concurrency jobs on an event loop, so `async` handlers can await and resume on the
/// loop that owns their connection. Used for the async handler style (see README, "Handlers").
public final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    // Invariant: the loop outlives its executor (the loop owns it).
    unowned(unsafe) let loop: EventLoop

    init(loop: EventLoop) { self.loop = loop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if loop.inLoopThreadFast {
            loop.enqueueJob(job)
        } else {
            nonisolated(unsafe) let l = loop
            loop.execute { l.enqueueJob(job) }
        }
    }
}
