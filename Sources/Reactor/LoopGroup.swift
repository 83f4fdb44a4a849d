import Glibc
import Synchronization

/// N event loops, one thread each. Everything a loop owns is created on it by `setUp`.
/// Sendable by hand: `loops` never changes after init, `threads` is touched only by the thread
/// that calls `start` and `join`, and `running` is atomic.
public final class LoopGroup: @unchecked Sendable {
    public let loops: [EventLoop]
    private var threads: [OSThread] = []
    private let running = Atomic<Int>(0)

    public init(count: Int, backend: IOBackend = .environmentDefault, clock: LoopClock = .monotonic) {
        loops = (0..<max(1, count)).map { EventLoop(index: $0, backend: backend, clock: clock) }
    }

    /// The cores this process may use (`CPUBudget`): the default number of loops.
    public static var coreCount: Int { CPUBudget.cores() }

    /// Starts every loop's thread; `setUp` runs first on each loop's own thread. When a thread
    /// cannot be started, the loops already running are stopped and joined, and the error thrown.
    public func start(_ setUp: @escaping (EventLoop) -> Void) throws {
        running.store(loops.count, ordering: .relaxed)
        for loop in loops {
            do {
                threads.append(try OSThread.spawn(name: "loop-\(loop.index)") { [self] in
                    setUp(loop)
                    loop.run()
                    running.subtract(1, ordering: .releasing)
                })
            } catch {
                running.subtract(loops.count - threads.count, ordering: .relaxed)
                for l in loops.prefix(threads.count) {
                    nonisolated(unsafe) let l = l   // only its own thread runs the task
                    l.execute { l.stop() }
                }
                for t in threads { t.join() }
                threads.removeAll()
                throw error
            }
        }
    }

    private var runningCount: Int { running.load(ordering: .acquiring) }

    /// Waits until every loop has returned from `run`, or the deadline passes.
    /// Returns true when all loops finished.
    public func wait(until deadline: Instant) -> Bool {
        while runningCount > 0 {
            if Instant.now() >= deadline { return false }
            usleep(2_000)
        }
        for t in threads { t.join() }
        return true
    }
}
