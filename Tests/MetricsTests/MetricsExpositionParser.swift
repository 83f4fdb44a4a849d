/// A strict parser of one sample line, as the tests read exposition output back:
/// `name{a="x",...} value[ # {l="v",...} value[ timestamp]]`.
struct MetricsParsedSample {
    var name: String
    var labels: [(name: String, value: String)]
    var value: String
    var exemplar: MetricsParsedExemplar?

    func label(_ name: String) -> String? { labels.first { $0.name == name }?.value }
}

struct MetricsParsedExemplar {
    var labels: [(name: String, value: String)]
    var value: String
    var timestamp: String?
}

struct MetricsSampleLineParser {
    private let bytes: [UInt8]
    private var i = 0

    /// Nil when the line is not a well-formed sample.
    static func parse(_ line: Substring) -> MetricsParsedSample? {
        var p = MetricsSampleLineParser(bytes: Array(line.utf8))
        return p.sample()
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func sample() -> MetricsParsedSample? {
        let name = take { $0 != UInt8(ascii: "{") && $0 != UInt8(ascii: " ") }
        guard !name.isEmpty, let labels = labelSet(optional: true), eat(" ") else { return nil }
        let value = take { $0 != UInt8(ascii: " ") }
        guard !value.isEmpty else { return nil }
        var s = MetricsParsedSample(name: name, labels: labels, value: value, exemplar: nil)
        if i == bytes.count { return s }
        guard eat(" # "), let exLabels = labelSet(optional: false), eat(" ") else { return nil }
        let exValue = take { $0 != UInt8(ascii: " ") }
        var ts: String?
        if eat(" ") { ts = take { _ in true } }
        guard !exValue.isEmpty, i == bytes.count, ts.map({ !$0.isEmpty }) ?? true else { return nil }
        s.exemplar = MetricsParsedExemplar(labels: exLabels, value: exValue, timestamp: ts)
        return s
    }

    private mutating func labelSet(optional: Bool) -> [(name: String, value: String)]? {
        guard eat("{") else { return optional ? [] : nil }
        var labels: [(name: String, value: String)] = []
        if eat("}") { return labels }
        repeat {
            let name = take { $0 != UInt8(ascii: "=") }
            guard !name.isEmpty, eat("=\""), let value = quoted() else { return nil }
            labels.append((name, value))
        } while eat(",")
        return eat("}") ? labels : nil
    }

    /// The rest of a quoted label value, unescaped; only `\\`, `\"`, `\n` are legal escapes.
    private mutating func quoted() -> String? {
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\n"): return nil
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { return nil }
                switch bytes[i] {
                case UInt8(ascii: "\\"), UInt8(ascii: "\""): out.append(bytes[i])
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                default: return nil
                }
                i += 1
            default: out.append(c)
            }
        }
        return nil
    }

    private mutating func eat(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard bytes.count - i >= u.count, Array(bytes[i..<i + u.count]) == u else { return false }
        i += u.count
        return true
    }

    private mutating func take(while ok: (UInt8) -> Bool) -> String {
        let start = i
        while i < bytes.count, ok(bytes[i]) { i += 1 }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }
}
