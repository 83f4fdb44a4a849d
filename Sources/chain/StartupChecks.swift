import ArgumentParser
import ChainRuntime
import Glibc
import HTTP1
import Tracing
import Metrics
import OTLPExport

/// Configuration of `chain serve` that cannot work stops it before anything starts, with every
/// problem named, instead of being replaced by a default the operator never asked for (a span
/// endpoint that is no URL sent the spans to a file nobody reads).
enum StartupChecks {
    static func check(_ serve: Serve, environment env: [String: String] = processEnvironment()) throws {
        var problems = TelemetryEnvironment.problems(env)
        if let p = env["PORT"], !p.isEmpty, !(Int(p).map { (0...65535).contains($0) } ?? false) {
            problems.append("PORT=\(p): expected a port number (0-65535)")
        }
        for (flag, value) in [("--shutdown-timeout", serve.shutdownTimeout), ("--keep-alive-timeout", serve.keepAliveTimeout),
                              ("--header-timeout", serve.headerTimeout), ("--request-timeout", serve.requestTimeout),
                              ("--db-connections", serve.dbConnections)] where value < 1 {
            problems.append("\(flag) \(value): expected 1 or more")
        }
        if !serve.nextServiceURL.isEmpty, !isHostPortURL(serve.nextServiceURL) {
            problems.append("next service URL \(serve.nextServiceURL): expected http://host:port")
        }
        guard !problems.isEmpty else { return }
        throw ValidationError(problems.joined(separator: "\n       "))
    }

    /// `http://host[:port][/]`, the form the chain's clients take: no path, user or query.
    static func isHostPortURL(_ url: String) -> Bool {
        guard let parsed = HTTPURL(url) else { return false }
        return parsed.path.isEmpty || parsed.path == "/"
    }
}
