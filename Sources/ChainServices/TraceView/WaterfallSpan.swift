/// One span of a trace as `chain trace` shows it, read from an OTLP/JSON document (the span
/// files) or from Tempo's answer to `/api/traces/<id>`.
public struct WaterfallSpan: Equatable, Sendable {
    public var service: String
    public var name: String
    public var id: String
    /// "" for a root span.
    public var parent: String
    /// Unix nanoseconds.
    public var start: UInt64
    public var end: UInt64
    public var error: Bool

    public init(service: String, name: String, id: String, parent: String, start: UInt64, end: UInt64, error: Bool = false) {
        self.service = service
        self.name = name
        self.id = id
        self.parent = parent
        self.start = start
        self.end = end
        self.error = error
    }

    /// The spans of trace `traceID` (lowercase hex) in `document`: OTLP/JSON ("resourceSpans")
    /// or Tempo's ("batches"), with "scopeSpans" or its older name "instrumentationLibrarySpans".
    public static func collect(_ document: JSONValue, traceID: String) -> [WaterfallSpan] {
        guard case .array(let batches)? = document["resourceSpans"] ?? document["batches"] else { return [] }
        var spans: [WaterfallSpan] = []
        for batch in batches {
            var service = "?"
            if case .array(let attrs)? = batch["resource"]?["attributes"] {
                for a in attrs where a["key"]?.stringValue == "service.name" { service = a["value"]?["stringValue"]?.stringValue ?? "?" }
            }
            guard case .array(let scopes)? = batch["scopeSpans"] ?? batch["instrumentationLibrarySpans"] else { continue }
            for scope in scopes {
                guard case .array(let items)? = scope["spans"] else { continue }
                for s in items where hexID(s["traceId"]) == traceID {
                    spans.append(WaterfallSpan(
                        service: service, name: s["name"]?.stringValue ?? "", id: hexID(s["spanId"]),
                        parent: hexID(s["parentSpanId"]),
                        start: UInt64(s["startTimeUnixNano"]?.stringValue ?? "") ?? 0,
                        end: UInt64(s["endTimeUnixNano"]?.stringValue ?? "") ?? 0,
                        error: s["status"]?["code"]?.intValue == 2 || s["status"]?["code"]?.stringValue == "STATUS_CODE_ERROR"))
                }
            }
        }
        return spans
    }

    /// Ids are lowercase hex in OTLP/JSON; Tempo answers base64.
    static func hexID(_ v: JSONValue?) -> String {
        guard let s = v?.stringValue else { return "" }
        if s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) { return s }
        return hexFromBase64(s) ?? s
    }

    static func hexFromBase64(_ s: String) -> String? {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let digits = Array("0123456789abcdef".utf8)
        var bits = 0, acc = 0
        var out: [UInt8] = []
        for c in s.utf8 where c != UInt8(ascii: "=") {
            guard let v = table.firstIndex(of: c) else { return nil }
            acc = (acc << 6 | v) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                let byte = (acc >> bits) & 0xFF
                out.append(digits[byte >> 4])
                out.append(digits[byte & 0xF])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
