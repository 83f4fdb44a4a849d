// Driving a loop's time from a test: the loops read a ManualClock, the test moves it, and the
// timers due by then fire before `advance` returns. No test waits for a timer by sleeping.

import Dispatch
import Reactor
import Synchronization
import XCTest

/// A clock that moves only when the test says so. Hand `loopClock` to a LoopGroup (or an
/// EventLoop), then `advance(by:on:)` those loops.
public final class ManualClock: Sendable {
    private let nanos: Atomic<UInt64>

    /// Starts on a whole millisecond (the timer wheel's tick), so "399 ms later" never rounds
    /// into the tick a 400 ms timer is due in.
    public init(start: Instant = Instant(nanoseconds: 1_000_000 * 1_000_000_000)) {
        nanos = Atomic(start.nanoseconds / 1_000_000 * 1_000_000)
    }

    public var now: Instant { Instant(nanoseconds: nanos.load(ordering: .acquiring)) }

    public var loopClock: LoopClock { LoopClock { [self] in now } }

    /// Lets `loops` handle what the kernel has already delivered to them (`settle`), moves the
    /// time forward, and waits until each loop has run an iteration at the new time: every timer
    /// due by then has fired when this returns.
    public func advance(by amount: TimeAmount, on loops: [EventLoop],
                        file: StaticString = #filePath, line: UInt = #line) {
        for loop in loops { loop.settle(file: file, line: line) }
        let target = Instant(nanoseconds: nanos.add(amount.nanoseconds, ordering: .releasing).newValue)
        for loop in loops {
            nonisolated(unsafe) let l = loop
            let reached = DispatchSemaphore(value: 0)
            @Sendable func check() { if l.now >= target { reached.signal() } else { l.execute(check) } }
            l.execute(check)
            if reached.wait(timeout: .now() + 5) == .timedOut {
                XCTFail("loop \(l.index) did not reach the new time", file: file, line: line)
            }
        }
    }
}

extension EventLoop {
    /// Runs `body` on the loop and waits for its result: how a test reads loop-owned state.
    public func sync<T>(file: StaticString = #filePath, line: UInt = #line, _ body: @escaping () -> T) -> T? {
        nonisolated(unsafe) var result: T?
        nonisolated(unsafe) let b = body
        let done = DispatchSemaphore(value: 0)
        execute {
            result = b()
            done.signal()
        }
        if done.wait(timeout: .now() + 5) == .timedOut {
            XCTFail("loop \(index) did not run the task", file: file, line: line)
            return nil
        }
        return result
    }

    /// Waits until the loop has run `iterations` more iterations. Each one polls after the one
    /// before, so three cover an accept (the listener was ready), then that connection's first
    /// bytes (ready once it is registered): everything sent before the call has been handled.
    public func settle(iterations: Int = 3, file: StaticString = #filePath, line: UInt = #line) {
        for _ in 0..<iterations { _ = sync(file: file, line: line) {} }
    }
}

/// Polls `condition` every millisecond until it holds or `timeout` passes; its last value.
/// For state that another thread or process reaches in its own time; never to let a timer run
/// (move a ManualClock instead).
@discardableResult
public func eventually(timeout: TimeAmount = .seconds(15), _ condition: () -> Bool) -> Bool {
    let end = Instant.now() + timeout
    while !condition() {
        if Instant.now() >= end { return condition() }
        usleep(1_000)
    }
    return true
}
