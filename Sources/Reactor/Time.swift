/// A point on the monotonic clock. Deadlines are instants and timeouts are amounts, so the
/// compiler refuses the classic mix-up of passing "5 s" where "when" was meant.
public struct Instant: Comparable, Hashable, Sendable {
    /// Nanoseconds since an arbitrary, fixed origin (boot): only differences mean anything.
    public var nanoseconds: UInt64

    @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// Reads CLOCK_MONOTONIC; a loop's handlers use `loop.now` instead (one read per wake-up).
    @inline(__always) public static func now() -> Instant { Instant(nanoseconds: monotonicNanos()) }

    /// Never reached: for "no deadline".
    public static let distantFuture = Instant(nanoseconds: .max / 2)

    @inlinable public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    @inlinable public static func + (a: Instant, d: TimeAmount) -> Instant {
        Instant(nanoseconds: a.nanoseconds &+ d.nanoseconds)
    }

    @inlinable public static func - (a: Instant, d: TimeAmount) -> Instant {
        Instant(nanoseconds: a.nanoseconds > d.nanoseconds ? a.nanoseconds - d.nanoseconds : 0)
    }

    /// The time from `b` to `a`, zero when `b` is later: "time left" never goes negative.
    @inlinable public static func - (a: Instant, b: Instant) -> TimeAmount {
        TimeAmount(nanoseconds: a.nanoseconds > b.nanoseconds ? a.nanoseconds - b.nanoseconds : 0)
    }
}

/// A length of time, never negative (a subtraction past zero gives zero).
public struct TimeAmount: Comparable, Hashable, Sendable {
    public var nanoseconds: UInt64

    @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    @inlinable public static func nanoseconds(_ n: UInt64) -> TimeAmount { TimeAmount(nanoseconds: n) }
    @inlinable public static func milliseconds(_ n: UInt64) -> TimeAmount { TimeAmount(nanoseconds: n &* 1_000_000) }
    @inlinable public static func seconds(_ n: UInt64) -> TimeAmount { TimeAmount(nanoseconds: n &* 1_000_000_000) }

    public static let zero = TimeAmount(nanoseconds: 0)

    /// Whole milliseconds, rounded down (for headers that carry milliseconds).
    @inlinable public var milliseconds: UInt64 { nanoseconds / 1_000_000 }
    /// Seconds as a Double (for histograms, which Prometheus keeps in seconds).
    @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }

    @inlinable public static func < (a: TimeAmount, b: TimeAmount) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: TimeAmount, b: TimeAmount) -> TimeAmount { TimeAmount(nanoseconds: a.nanoseconds &+ b.nanoseconds) }
    @inlinable public static func - (a: TimeAmount, b: TimeAmount) -> TimeAmount {
        TimeAmount(nanoseconds: a.nanoseconds > b.nanoseconds ? a.nanoseconds - b.nanoseconds : 0)
    }
    @inlinable public static func * (a: TimeAmount, k: UInt64) -> TimeAmount { TimeAmount(nanoseconds: a.nanoseconds &* k) }
}
