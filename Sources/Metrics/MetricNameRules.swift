/// Start-up checks on declared names, so that every exposition parses in both formats and
/// passes `promtool check metrics` (its lint wants `_total` on counters and only there).
enum MetricNameRules {
    enum Kind {
        case counter, gauge, histogram
    }

    static func check(name: String, labels: [String], kind: Kind) {
        precondition(isIdentifier(name), "metric name \(name) must match [a-zA-Z_][a-zA-Z0-9_]*")
        if kind == .counter {
            precondition(name.hasSuffix("_total") && name.count > 6,
                         "counter \(name) must end in _total")
        } else {
            for suffix in ["_total", "_bucket", "_count", "_sum"] {
                precondition(!name.hasSuffix(suffix), "\(name): only counters end in _total, "
                    + "and _bucket/_count/_sum belong to histograms")
            }
        }
        precondition(Set(labels).count == labels.count, "\(name): duplicate label names")
        for label in labels {
            precondition(isIdentifier(label) && !label.hasPrefix("__") && label != "le",
                         "\(name): invalid label name \(label)")
        }
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`; the colon is left to recording rules.
    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, !isDigit(first) else { return false }
        return s.utf8.allSatisfy { isDigit($0) || $0 == UInt8(ascii: "_") || isLetter($0) }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }

    /// The name a family carries in HELP/TYPE: OpenMetrics names a counter without `_total`.
    static func familyName(_ name: String, isCounter: Bool, format: ExpositionFormat) -> String {
        isCounter && format == .openMetrics ? String(name.dropLast(6)) : name
    }
}
