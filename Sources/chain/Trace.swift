import ChainRuntime
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

    func run() throws {
        let id = traceID.lowercased()
        guard id.utf8.count == 32, id.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw ValidationError("a trace id is 32 hex digits")
        }
        let spans = try documents(id).flatMap { WaterfallSpan.collect($0, traceID: id) }
        guard !spans.isEmpty else { throw ValidationError("no spans of trace \(id) in \(tempo ?? spanFiles.joined(separator: ", "))") }
        print(Waterfall.render(spans, traceID: id))
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
}
