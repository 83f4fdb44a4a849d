import XCTest
@testable import Reactor

final class TimerWheelTests: XCTestCase {
    let ms: UInt64 = 1_000_000

    func testFiresAtDeadlineNotBefore() {
        let wheel = TimerWheel(now: Instant(nanoseconds: 0))
        var fired = 0
        let t = LoopTimer { fired += 1 }
        wheel.arm(t, at: Instant(nanoseconds: 50 * ms))
        wheel.advance(to: Instant(nanoseconds: 49 * ms))
        XCTAssertEqual(fired, 0)
        wheel.advance(to: Instant(nanoseconds: 50 * ms))
        XCTAssertEqual(fired, 1)
        XCTAssertFalse(t.isArmed)
        wheel.advance(to: Instant(nanoseconds: 10_000 * ms))
        XCTAssertEqual(fired, 1, "a timer fires once")
    }

    func testLaterRevolutionDoesNotFireEarly() {
        // 4096 slots of 1 ms: 5 s lands in the same slot as ~0.9 s.
        let wheel = TimerWheel(now: Instant(nanoseconds: 0))
        var fired = false
        let t = LoopTimer { fired = true }
        wheel.arm(t, at: Instant(nanoseconds: 5_000 * ms))
        for step in stride(from: UInt64(0), through: 4_999, by: 7) {
            wheel.advance(to: Instant(nanoseconds: step * ms))
        }
        XCTAssertFalse(fired)
        wheel.advance(to: Instant(nanoseconds: 5_000 * ms))
        XCTAssertTrue(fired)
    }

    /// A wheel stepped a millisecond at a time, as a loop's ticks would, with one timer that
    /// records the millisecond it fires at.
    private final class SteppedWheel {
        let wheel = TimerWheel(now: Instant(nanoseconds: 0))
        var now: UInt64 = 0
        var fired: [UInt64] = []
        lazy var timer = LoopTimer { [unowned self] in self.fired.append(self.now) }

        func arm(at ms: UInt64) { wheel.arm(timer, at: Instant(nanoseconds: ms * 1_000_000)) }
        func step(to ms: UInt64) {
            while now < ms {
                now += 1
                wheel.advance(to: Instant(nanoseconds: now * 1_000_000))
            }
        }
    }

    /// A re-arm to a later deadline leaves the timer in its slot: it moves when that slot comes
    /// up, and fires at its new deadline, not at the old one and not a revolution late.
    func testRearmLaterMovesLazilyAndFiresOnTime() {
        let w = SteppedWheel()
        w.arm(at: 100)
        w.arm(at: 300)     // later: not relinked
        w.arm(at: 6_000)   // later still, past a revolution
        XCTAssertEqual(w.wheel.count, 1)
        w.step(to: 7_000)
        XCTAssertEqual(w.fired, [6_000])
        XCTAssertEqual(w.wheel.count, 0)
    }

    func testRearmEarlierAfterALazyMoveRelinks() {
        let w = SteppedWheel()
        w.arm(at: 100)
        w.arm(at: 300)
        w.arm(at: 50)      // sooner than where it is linked
        w.step(to: 400)
        XCTAssertEqual(w.fired, [50])
        // Moved at its old slot, then re-armed sooner than its new deadline.
        w.arm(at: 500)
        w.arm(at: 900)
        w.step(to: 600)
        w.arm(at: 700)
        w.step(to: 1_000)
        XCTAssertEqual(w.fired, [50, 700])
        XCTAssertEqual(w.wheel.count, 0)
    }

    func testCancelAndRearm() {
        let wheel = TimerWheel(now: Instant(nanoseconds: 0))
        var log: [Int] = []
        let a = LoopTimer { log.append(1) }
        let b = LoopTimer { log.append(2) }
        wheel.arm(a, at: Instant(nanoseconds: 10 * ms))
        wheel.arm(b, at: Instant(nanoseconds: 10 * ms))
        wheel.cancel(a)
        wheel.arm(b, at: Instant(nanoseconds: 30 * ms))   // re-arm moves it
        XCTAssertEqual(wheel.count, 1)
        wheel.advance(to: Instant(nanoseconds: 20 * ms))
        XCTAssertEqual(log, [])
        wheel.advance(to: Instant(nanoseconds: 30 * ms))
        XCTAssertEqual(log, [2])
        XCTAssertEqual(wheel.count, 0)
    }

    func testArmAtOrBeforeOnlyEverMovesTheTimerSooner() {
        let wheel = TimerWheel(now: Instant(nanoseconds: 0))
        var firedAt: [UInt64] = []
        var now: UInt64 = 0
        let t = LoopTimer { firedAt.append(now) }
        wheel.arm(t, atOrBefore: Instant(nanoseconds: 40 * ms))   // not armed: arms
        wheel.arm(t, atOrBefore: Instant(nanoseconds: 90 * ms))   // later: stays at 40
        wheel.arm(t, atOrBefore: Instant(nanoseconds: 20 * ms))   // sooner: moves
        XCTAssertEqual(wheel.count, 1)
        for step in stride(from: UInt64(1), through: 100, by: 1) {
            now = step
            wheel.advance(to: Instant(nanoseconds: step * ms))
        }
        XCTAssertEqual(firedAt, [20])
    }

    func testActionMayCancelAnotherDueTimer() {
        let wheel = TimerWheel(now: Instant(nanoseconds: 0))
        var fired: [String] = []
        var b: LoopTimer!
        let a = LoopTimer { fired.append("a"); wheel.cancel(b) }
        b = LoopTimer { fired.append("b") }
        wheel.arm(b, at: Instant(nanoseconds: 5 * ms))
        wheel.arm(a, at: Instant(nanoseconds: 5 * ms))   // a is at the head of the slot, so it runs first
        wheel.advance(to: Instant(nanoseconds: 5 * ms))
        XCTAssertEqual(fired, ["a"])
    }

    func testSleepBoundFindsNearestSlot() {
        let wheel = TimerWheel(now: Instant(nanoseconds: 0))
        XCTAssertEqual(wheel.millisecondsUntilNext(maxMs: 1000), 1000)
        let t = LoopTimer {}
        wheel.arm(t, at: Instant(nanoseconds: 130 * ms))
        XCTAssertEqual(wheel.millisecondsUntilNext(maxMs: 1000), 130)
        XCTAssertEqual(wheel.millisecondsUntilNext(maxMs: 100), 100)
        let u = LoopTimer {}
        wheel.arm(u, at: Instant(nanoseconds: 3 * ms))
        XCTAssertEqual(wheel.millisecondsUntilNext(maxMs: 1000), 3)
    }

    func testLongStallFiresEverything() {
        let wheel = TimerWheel(now: Instant(nanoseconds: 0))
        var n = 0
        let timers = (0..<100).map { _ in LoopTimer { n += 1 } }
        for (i, t) in timers.enumerated() { wheel.arm(t, at: Instant(nanoseconds: UInt64(i * 97) * ms)) }
        wheel.advance(to: Instant(nanoseconds: 60_000 * ms))
        XCTAssertEqual(n, 100)
    }
}
