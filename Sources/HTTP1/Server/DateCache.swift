import Glibc
import Reactor

/// The `Date` header line, formatted once per second per loop (RFC 9110 IMF-fixdate).
final class DateCache {
    private(set) var line = [UInt8]()     // "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
    private var validUntil = Instant(nanoseconds: 0)

    private static let days: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    @inline(__always)
    func refresh(now: Instant) {
        if now < validUntil { return }
        var t = time(nil)
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        line.removeAll(keepingCapacity: true)
        appendStatic("Date: ")
        appendStatic(Self.days[Int(tm.tm_wday)])
        appendStatic(", ")
        appendTwoDigits(Int(tm.tm_mday))
        line.append(UInt8(ascii: " "))
        appendStatic(Self.months[Int(tm.tm_mon)])
        line.append(UInt8(ascii: " "))
        let year = Int(tm.tm_year) + 1900
        appendTwoDigits(year / 100)
        appendTwoDigits(year % 100)
        line.append(UInt8(ascii: " "))
        appendTwoDigits(Int(tm.tm_hour)); line.append(UInt8(ascii: ":"))
        appendTwoDigits(Int(tm.tm_min)); line.append(UInt8(ascii: ":"))
        appendTwoDigits(Int(tm.tm_sec))
        appendStatic(" GMT\r\n")
        // Valid until the next wall-clock second; a little early is harmless.
        validUntil = now + .nanoseconds(1_000_000_000 - wallNanos() % 1_000_000_000)
    }

    private func appendTwoDigits(_ v: Int) {
        line.append(UInt8(ascii: "0") + UInt8(v / 10))
        line.append(UInt8(ascii: "0") + UInt8(v % 10))
    }

    private func appendStatic(_ s: StaticString) {
        line.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}
