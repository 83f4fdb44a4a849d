/// The two exposition formats a scrape can ask for.
enum ExpositionFormat {
    case prometheus   // text 0.0.4
    case openMetrics  // OpenMetrics 1.0.0 text
}

/// Appends exposition text as bytes: escaping and number formatting shared by both formats.
struct ExpositionWriter {
    let format: ExpositionFormat
    var bytes: [UInt8]

    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ s: String) {
        bytes.append(contentsOf: s.utf8)
    }

    mutating func append(_ v: UInt64) {
        append(String(v))
    }

    mutating func append(_ v: Double) {
        append(Self.formatNumber(v))
    }

    /// Backslash, double quote and newline escaped, as both formats require in label values.
    mutating func appendLabelValue(_ s: String) {
        appendEscaped(s, quote: true)
    }

    /// 0.0.4 escapes backslash and newline in HELP; OpenMetrics also the double quote.
    mutating func appendHelp(_ s: String) {
        appendEscaped(s, quote: format == .openMetrics)
    }

    private mutating func appendEscaped(_ s: String, quote: Bool) {
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\"") where quote: append("\\\"")
            default: bytes.append(c)
            }
        }
    }

    /// Seconds since the epoch with milliseconds, as OpenMetrics timestamps are written.
    mutating func appendTimestamp(unixNanos: UInt64) {
        append(unixNanos / 1_000_000_000)
        let millis = unixNanos / 1_000_000 % 1000
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(millis / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(millis / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(millis % 10))
    }

    /// 32 lowercase hex digits, the W3C form of a trace id.
    mutating func appendTraceID(hi: UInt64, lo: UInt64) {
        for word in [hi, lo] {
            for shift in stride(from: 60, through: 0, by: -4) {
                let nibble = UInt8(truncatingIfNeeded: word >> UInt64(shift)) & 0xF
                bytes.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
            }
        }
    }

    /// A number both parsers read back exactly: integral values without a fraction (as the Go
    /// client writes them, so `le="1"`), otherwise Swift's shortest round-trip form, and
    /// the spellings `+Inf`, `-Inf`, `NaN`.
    static func formatNumber(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v == .infinity { return "+Inf" }
        if v == -.infinity { return "-Inf" }
        if v == v.rounded(.towardZero), abs(v) < 1e15 { return String(Int64(v)) }
        return v.description
    }
}
