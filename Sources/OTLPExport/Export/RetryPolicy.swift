// When a failed export is tried again: exponential backoff from 100 ms, doubling, capped at 5 s,
// with full jitter (a uniform delay in [0, cap]); a server's Retry-After replaces the computed delay.
// Retried: 429, 502, 503, 504 and connection errors or timeouts. Not retried: any other status.

import Reactor
import Tracing

public struct RetryPolicy: Sendable {
    public var initialBackoff: TimeAmount = .milliseconds(100)
    public var maxBackoff: TimeAmount = .seconds(5)
    /// Retries after the first attempt.
    public var maxRetries: Int

    public init(maxRetries: Int) { self.maxRetries = maxRetries }

    /// The backoff ceiling before retry number `retry` (0 = the first retry): initial * 2^retry, capped.
    public func ceiling(retry: Int) -> TimeAmount {
        let shift = UInt64(min(max(retry, 0), 40))
        let (v, overflow) = initialBackoff.nanoseconds.multipliedReportingOverflow(by: UInt64(1) << shift)
        return overflow ? maxBackoff : min(.nanoseconds(v), maxBackoff)
    }

    /// Full jitter: uniform in [0, ceiling(retry)].
    public func backoff<R: RandomNumberGenerator>(retry: Int, using rng: inout R) -> TimeAmount {
        .nanoseconds(UInt64.random(in: 0 ... ceiling(retry: retry).nanoseconds, using: &rng))
    }

    public func backoff(retry: Int) -> TimeAmount {
        var rng = SystemRandomNumberGenerator()
        return backoff(retry: retry, using: &rng)
    }

    /// The statuses the OTLP/HTTP spec calls retryable.
    public static func isRetryable(status: Int) -> Bool {
        status == 429 || status == 502 || status == 503 || status == 504
    }

    /// A Retry-After value as a delay: delta-seconds, or an HTTP-date (IMF-fixdate, e.g.
    /// "Sun, 06 Nov 1994 08:49:37 GMT") relative to `nowWallNanos` (Unix ns, wall clock: the
    /// date is one too), zero when already past. nil when malformed.
    public static func parseRetryAfter(_ value: String, nowWallNanos: UInt64) -> TimeAmount? {
        let v = EnvParse.trim(value)
        if let secs = EnvParse.decimal(v) {
            let (ns, overflow) = secs.multipliedReportingOverflow(by: 1_000_000_000)
            return .nanoseconds(overflow ? UInt64.max : ns)
        }
        guard let at = parseIMFFixdate(v) else { return nil }
        let atNanos = UInt64(at) &* 1_000_000_000
        return .nanoseconds(at <= 0 || atNanos <= nowWallNanos ? 0 : atNanos - nowWallNanos)
    }

    /// Seconds since the epoch of an IMF-fixdate (RFC 9110 5.6.7), or nil.
    static func parseIMFFixdate(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        // "Sun, 06 Nov 1994 08:49:37 GMT"
        guard u.count == 29, u[3] == UInt8(ascii: ","), u[4] == 0x20, u[7] == 0x20, u[11] == 0x20,
              u[16] == 0x20, u[19] == UInt8(ascii: ":"), u[22] == UInt8(ascii: ":"), u[25] == 0x20,
              String(decoding: u[26 ..< 29], as: UTF8.self) == "GMT" else { return nil }
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        guard days.contains(String(decoding: u[0 ..< 3], as: UTF8.self)) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let mi = months.firstIndex(of: String(decoding: u[8 ..< 11], as: UTF8.self)) else { return nil }
        func num(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in r {
                guard u[i] >= 0x30 && u[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(u[i] - 0x30)
            }
            return v
        }
        guard let day = num(5 ..< 7), let year = num(12 ..< 16), let hh = num(17 ..< 19),
              let mm = num(20 ..< 22), let ss = num(23 ..< 25),
              day >= 1, day <= 31, hh <= 23, mm <= 59, ss <= 60 else { return nil }
        return daysFromCivil(year, Int64(mi + 1), day) * 86400 + hh * 3600 + mm * 60 + ss
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
