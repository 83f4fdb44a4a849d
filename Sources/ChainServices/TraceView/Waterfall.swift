/// A trace drawn as text: one line per span, children under their parent (indented, by start
/// time), a bar placed on a 40-column time axis from the trace's first start to its last end,
/// the duration in milliseconds and ERROR on a failed span. A span whose parent is not in the
/// trace is drawn as a root.
public enum Waterfall {
    static let width = 40
    static let labelWidth = 48

    public static func render(_ spans: [WaterfallSpan], traceID: String) -> String {
        let t0 = spans.map(\.start).min() ?? 0
        let t1 = spans.map(\.end).max() ?? t0
        let total = max(t1 &- t0, 1)
        var children: [String: [WaterfallSpan]] = [:]
        let ids = Set(spans.map(\.id))
        for s in spans { children[ids.contains(s.parent) ? s.parent : "", default: []].append(s) }
        var lines = ["trace \(traceID)  \(spans.count) spans, \(ms(total)) ms"]
        func walk(_ parent: String, _ depth: Int) {
            for s in (children[parent] ?? []).sorted(by: { $0.start < $1.start }) {
                let from = Int(Double(s.start &- t0) / Double(total) * Double(width))
                let len = max(1, Int(Double(s.end &- s.start) / Double(total) * Double(width)))
                let bar = String(repeating: " ", count: from) + String(repeating: "#", count: min(len, width - from))
                let label = String(repeating: "  ", count: depth) + "\(s.service) \(s.name)"
                lines.append("\(padded(label, labelWidth)) |\(padded(bar, width))| \(ms(s.end &- s.start)) ms\(s.error ? "  ERROR" : "")")
                walk(s.id, depth + 1)
            }
        }
        walk("", 0)
        return lines.joined(separator: "\n")
    }

    /// Milliseconds with at most two decimals.
    static func ms(_ nanos: UInt64) -> String {
        let v = Double(nanos) / 1e6
        return String((v * 100).rounded() / 100)
    }

    private static func padded(_ s: String, _ n: Int) -> String {
        s.count < n ? s + String(repeating: " ", count: n - s.count) : String(s.prefix(n))
    }
}
