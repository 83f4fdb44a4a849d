import ArgumentParser
import ChainServices
import Glibc
import HTTP1
import Tracing
import Metrics
import OTLPExport

/// `chain trace TRACE_ID`: one trace as an indented waterfall (service, span, duration bar,
/// status), from the local OTLP/JSON span file or from Tempo's HTTP API.
struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print one trace as a waterfall.")

    @Argument(help: "The trace id (32 hex digits), e.g. the trace_id of a response.") var traceID: String
    @Option(help: "OTLP/JSON lines files the services write without an OTLP endpoint (repeatable); default: CHAIN_SPAN_FILE, else every .run/spans*.jsonl.")
    var file: [String] = []
    @Option(help: "Tempo's base URL (http://host:port): read the trace from /api/traces/<id> instead.") var tempo: String?

    struct Row { var service: String; var name: String; var id: String; var parent: String; var start: UInt64; var end: UInt64; var error: Bool }

    func run() throws {
        let id = traceID.lowercased()
        guard id.utf8.count == 32, id.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw ValidationError("a trace id is 32 hex digits")
        }
        var rows: [Row] = []
        for document in try documents(id) { collect(document, id, into: &rows) }
        guard !rows.isEmpty else { throw ValidationError("no spans of trace \(id) in \(tempo ?? spanFiles.joined(separator: ", "))") }
        print(Waterfall.render(rows, traceID: id))
    }

    /// Whole request documents: one per line of the file, or Tempo's single answer.
    private func documents(_ id: String) throws -> [JSONValue] {
        if let tempo {
            guard let url = HTTPURL(tempo) else { throw ValidationError("--tempo takes http://host:port") }
            switch BlockingGET.fetch(host: url.host, port: url.port, path: "/api/traces/\(id)") {
            case .failure(let e): throw ValidationError("Tempo: \(e)")
            case .success(let r) where r.status != 200: throw ValidationError("Tempo answered \(r.status)")
            case .success(let r): return [try JSONReader.parse(r.body)]
            }
        }
        var docs: [JSONValue] = []
        for path in spanFiles {
            guard let f = fopen(path, "r") else { throw ValidationError("cannot open \(path)") }
            defer { fclose(f) }
            var line: UnsafeMutablePointer<CChar>?
            var cap = 0
            defer { free(line) }
            while getline(&line, &cap, f) > 0 {
                let text = String(cString: line!)
                // Cheap filter: only parse lines that mention the trace.
                if text.contains(id), let v = try? JSONReader.parse(text) { docs.append(v) }
            }
        }
        return docs
    }

    /// The span files to read: --file, else CHAIN_SPAN_FILE, else every .run/spans*.jsonl
    /// (up.sh gives each service its own file).
    private var spanFiles: [String] {
        if !file.isEmpty { return file }
        if let f = getenv("CHAIN_SPAN_FILE") { return [String(cString: f)] }
        guard let dir = opendir(".run") else { return [".run/spans.jsonl"] }
        defer { closedir(dir) }
        var found: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasPrefix("spans") && name.hasSuffix(".jsonl") { found.append(".run/" + name) }
        }
        return found.sorted()
    }

    /// OTLP/JSON ("resourceSpans") or Tempo's ("batches"), "scopeSpans" or the older name.
    private func collect(_ doc: JSONValue, _ id: String, into rows: inout [Row]) {
        guard case .array(let batches)? = doc["resourceSpans"] ?? doc["batches"] else { return }
        for batch in batches {
            var service = "?"
            if case .array(let attrs)? = batch["resource"]?["attributes"] {
                for a in attrs where a["key"]?.stringValue == "service.name" { service = a["value"]?["stringValue"]?.stringValue ?? "?" }
            }
            guard case .array(let scopes)? = batch["scopeSpans"] ?? batch["instrumentationLibrarySpans"] else { continue }
            for scope in scopes {
                guard case .array(let spans)? = scope["spans"] else { continue }
                for s in spans where Self.hexID(s["traceId"]) == id {
                    rows.append(Row(service: service, name: s["name"]?.stringValue ?? "", id: Self.hexID(s["spanId"]),
                                    parent: Self.hexID(s["parentSpanId"]),
                                    start: UInt64(s["startTimeUnixNano"]?.stringValue ?? "") ?? 0,
                                    end: UInt64(s["endTimeUnixNano"]?.stringValue ?? "") ?? 0,
                                    error: s["status"]?["code"]?.intValue == 2 || s["status"]?["code"]?.stringValue == "STATUS_CODE_ERROR"))
                }
            }
        }
    }

    /// Ids are lowercase hex in OTLP/JSON; Tempo answers base64.
    static func hexID(_ v: JSONValue?) -> String {
        guard let s = v?.stringValue else { return "" }
        if s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) { return s }
        return Base64.decodeToHex(s) ?? s
    }
}

enum Base64 {
    static func decodeToHex(_ s: String) -> String? {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var bits = 0, acc = 0
        var out = ""
        for c in s.utf8 where c != UInt8(ascii: "=") {
            guard let v = table.firstIndex(of: c) else { return nil }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                let byte = (acc >> bits) & 0xFF
                out += String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
            }
        }
        return out
    }
}

enum Waterfall {
    static func render(_ rows: [Trace.Row], traceID: String) -> String {
        let t0 = rows.map(\.start).min() ?? 0
        let t1 = rows.map(\.end).max() ?? t0
        let total = max(t1 &- t0, 1)
        let width = 40
        var children: [String: [Trace.Row]] = [:]
        let ids = Set(rows.map(\.id))
        for r in rows { children[ids.contains(r.parent) ? r.parent : "", default: []].append(r) }
        var lines = ["trace \(traceID)  \(rows.count) spans, \(ms(total)) ms"]
        func walk(_ parent: String, _ depth: Int) {
            for r in (children[parent] ?? []).sorted(by: { $0.start < $1.start }) {
                let from = Int(Double(r.start &- t0) / Double(total) * Double(width))
                let len = max(1, Int(Double(r.end &- r.start) / Double(total) * Double(width)))
                let bar = String(repeating: " ", count: from) + String(repeating: "#", count: min(len, width - from))
                let label = String(repeating: "  ", count: depth) + "\(r.service) \(r.name)"
                let padded = label.count < 48 ? label + String(repeating: " ", count: 48 - label.count) : String(label.prefix(48))
                let barPadded = bar.count < width ? bar + String(repeating: " ", count: width - bar.count) : bar
                lines.append("\(padded) |\(barPadded)| \(ms(r.end &- r.start)) ms\(r.error ? "  ERROR" : "")")
                walk(r.id, depth + 1)
            }
        }
        walk("", 0)
        return lines.joined(separator: "\n")
    }

    static func ms(_ nanos: UInt64) -> String {
        let v = Double(nanos) / 1e6
        return String((v * 100).rounded() / 100)
    }
}
