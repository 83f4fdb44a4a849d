extension MetricsRegistry {
    /// True when the `Accept` header prefers OpenMetrics: some `application/openmetrics-text`
    /// range (version absent, 0.0.1 or 1.0.0) has q > 0 and at least the q of `text/plain`.
    /// Prometheus asks this way when exemplar storage is on; `*/*` alone (curl) gets text 0.0.4.
    public static func wantsOpenMetrics(acceptHeader: UnsafeRawBufferPointer?) -> Bool {
        guard let header = acceptHeader else { return false }
        var openMetrics = 0.0
        var text = 0.0
        for range in header.split(separator: UInt8(ascii: ",")) {
            let r = MediaRange(range)
            if r.type == "application/openmetrics-text",
               r.version == nil || r.version == "1.0.0" || r.version == "0.0.1"
            {
                openMetrics = max(openMetrics, r.q)
            } else if r.type == "text/plain" {
                text = max(text, r.q)
            }
        }
        return openMetrics > 0 && openMetrics >= text
    }
}

/// One element of an `Accept` header: `type/subtype;param=value;q=0.5`, lower-cased.
private struct MediaRange {
    var type = ""
    var version: String?
    var q = 1.0

    init(_ bytes: Slice<UnsafeRawBufferPointer>) {
        let parts = bytes.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        type = Self.trimmedLower(parts.first ?? bytes[bytes.startIndex..<bytes.startIndex])
        for param in parts.dropFirst() {
            let kv = param.split(separator: UInt8(ascii: "="), maxSplits: 1)
            guard kv.count == 2 else { continue }
            let value = Self.trimmedLower(kv[1]).filter { $0 != "\"" }
            switch Self.trimmedLower(kv[0]) {
            case "q": q = Double(value).flatMap { (0...1).contains($0) ? $0 : nil } ?? 0
            case "version": version = value
            default: break
            }
        }
    }

    private static func trimmedLower(_ s: Slice<UnsafeRawBufferPointer>) -> String {
        let isSpace = { (c: UInt8) in c == 0x20 || c == 0x09 }
        guard let first = s.firstIndex(where: { !isSpace($0) }),
              let last = s.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: s[first...last], as: UTF8.self).lowercased()
    }
}
