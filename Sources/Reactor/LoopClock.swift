/// Where a loop reads the time: CLOCK_MONOTONIC in production; in tests, a clock the test moves
/// by hand, so timers and deadlines fire when the test says instead of after a real wait.
/// Read once per loop iteration (and by `schedule(after:)`), never per request.
public struct LoopClock: Sendable {
    public let now: @Sendable () -> Instant

    public init(_ now: @escaping @Sendable () -> Instant) { self.now = now }

    public static let monotonic = LoopClock { Instant.now() }
}
