// The span exporter's configuration, read from the standard OpenTelemetry environment variables
// (OTEL_EXPORTER_OTLP_*, OTEL_BSP_*, OTEL_SDK_DISABLED) plus CHAIN_SPAN_FILE. Invalid values fall
// back to the defaults, as the OpenTelemetry SDK configuration spec asks.

import Glibc
import HTTP1
import Reactor
import Tracing

public struct ExporterConfig: Sendable {
    /// Where OTLP/HTTP requests go (plain http only). nil: spans go to `filePath` as OTLP/JSON lines.
    public var endpoint: (host: String, port: Int, path: String)?
    /// Extra request headers (OTEL_EXPORTER_OTLP_TRACES_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS).
    public var headers: [(String, String)]
    /// One HTTP attempt: connect, write and read (OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT, ms).
    public var timeout: TimeAmount
    /// gzip request bodies (OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION=gzip).
    public var gzip: Bool
    /// Spans per request (OTEL_BSP_MAX_EXPORT_BATCH_SIZE). The batch queue is the loops' span rings,
    /// sized by CHAIN_SPAN_RING_SIZE, so OTEL_BSP_MAX_QUEUE_SIZE is not read.
    public var maxBatch: Int
    /// How often the rings are polled when they hold less than a full batch (OTEL_BSP_SCHEDULE_DELAY, ms).
    public var scheduleDelay: TimeAmount
    /// Total time for one batch, retries included (OTEL_BSP_EXPORT_TIMEOUT, ms).
    public var exportTimeout: TimeAmount
    /// Retries after the first attempt of a batch.
    public var maxRetries: Int
    /// The OTLP/JSON lines file used when there is no endpoint (CHAIN_SPAN_FILE).
    public var filePath: String
    /// OTEL_SDK_DISABLED=true: no exporter thread, nothing exported.
    public var disabled: Bool

    public static let defaultTimeout: TimeAmount = .milliseconds(10_000)
    /// 4096, not the SDK specification's 512: every request costs wake-ups, a send and a wait for
    /// the answer, on the exporter and on the collector. With 512 a traced `GET /health` server's
    /// exporter spent 0.22 µs a span, with 4096 (and the 1 MiB ring) 0.14 (Perf/RESULTS.md,
    /// "issue 14: fewer, larger exports"). A request of 4096 chain spans is 1-2 MB, well under
    /// an OpenTelemetry Collector's default limit on a request body (20 MiB).
    public static let defaultMaxBatch = 4096
    public static let defaultScheduleDelay: TimeAmount = .milliseconds(200)
    public static let defaultExportTimeout: TimeAmount = .milliseconds(30_000)
    public static let defaultMaxRetries = 5
    public static let defaultFilePath = ".run/spans.jsonl"

    public init(
        endpoint: (host: String, port: Int, path: String)? = nil,
        headers: [(String, String)] = [],
        timeout: TimeAmount = ExporterConfig.defaultTimeout,
        gzip: Bool = false,
        maxBatch: Int = ExporterConfig.defaultMaxBatch,
        scheduleDelay: TimeAmount = ExporterConfig.defaultScheduleDelay,
        exportTimeout: TimeAmount = ExporterConfig.defaultExportTimeout,
        maxRetries: Int = ExporterConfig.defaultMaxRetries,
        filePath: String = ExporterConfig.defaultFilePath,
        disabled: Bool = false
    ) {
        self.endpoint = endpoint
        self.headers = headers
        self.timeout = timeout
        self.gzip = gzip
        self.maxBatch = maxBatch
        self.scheduleDelay = scheduleDelay
        self.exportTimeout = exportTimeout
        self.maxRetries = maxRetries
        self.filePath = filePath
        self.disabled = disabled
    }

    /// Reads the configuration. Signal-specific variables (`..._TRACES_...`) win over the generic
    /// ones. OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is (no path: "/"); the generic
    /// OTEL_EXPORTER_OTLP_ENDPOINT gets "v1/traces" appended after its path (one "/" between).
    /// Only `http://` URLs are accepted; anything else is ignored (and the file sink is used).
    public static func from(environment env: [String: String]) -> ExporterConfig {
        var c = ExporterConfig()
        func value(_ name: String) -> String? {
            guard let v = env[name] else { return nil }
            let t = EnvParse.trim(v)
            return t.isEmpty ? nil : t
        }
        func signal(_ suffix: String) -> String? {
            value("OTEL_EXPORTER_OTLP_TRACES_" + suffix) ?? value("OTEL_EXPORTER_OTLP_" + suffix)
        }

        if let v = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), let e = HTTPURL(v) {
            c.endpoint = (e.host, e.port, e.path.isEmpty ? "/" : e.path)
        } else if let v = value("OTEL_EXPORTER_OTLP_ENDPOINT"), let e = HTTPURL(v) {
            var base = e.path, query = ""
            if let q = base.firstIndex(of: "?") {
                query = String(base[q...])
                base = String(base[..<q])
            }
            c.endpoint = (e.host, e.port, (base.hasSuffix("/") ? base : base + "/") + "v1/traces" + query)
        }
        // Signal-specific headers replace the generic list (as the Go and Python SDKs do).
        if let v = value("OTEL_EXPORTER_OTLP_TRACES_HEADERS") ?? value("OTEL_EXPORTER_OTLP_HEADERS") {
            c.headers = EnvParse.headerList(v)
        }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"] {
            if let v = value(name), let ms = EnvParse.milliseconds(v, allowZero: false) {
                c.timeout = ms
                break
            }
        }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"] {
            guard let v = value(name) else { continue }
            let l = EnvParse.lower(v)
            if l == "gzip" { c.gzip = true; break }
            if l == "none" { c.gzip = false; break }
        }
        if let v = value("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"), let n = EnvParse.positiveInt(v) {
            c.maxBatch = n
        }
        if let v = value("OTEL_BSP_SCHEDULE_DELAY"), let d = EnvParse.milliseconds(v, allowZero: true) {
            c.scheduleDelay = max(d, .milliseconds(1))  // 0 would spin: poll at most every millisecond
        }
        if let v = value("OTEL_BSP_EXPORT_TIMEOUT"), let d = EnvParse.milliseconds(v, allowZero: false) {
            c.exportTimeout = d
        }
        if let v = value("CHAIN_SPAN_FILE") {
            c.filePath = v
        }
        if let v = value("OTEL_SDK_DISABLED") {
            c.disabled = EnvParse.lower(v) == "true"
        }
        return c
    }

    /// The Host header value for the endpoint: host, bracketed when IPv6, with ":port" unless 80.
    var hostHeader: String {
        guard let e = endpoint else { return "" }
        let h = e.host.contains(":") ? "[\(e.host)]" : e.host
        return e.port == 80 ? h : "\(h):\(e.port)"
    }
}

extension ExporterConfig: CustomStringConvertible {
    /// For a start-up log line; header values are not shown (they often hold credentials).
    public var description: String {
        let target: String
        if disabled {
            target = "disabled"
        } else if let e = endpoint {
            target = "http://\(hostHeader)\(e.path)"
        } else {
            target = "file \(filePath)"
        }
        return "otlp traces -> \(target), batch \(maxBatch), delay \(scheduleDelay.milliseconds) ms, "
            + "timeout \(timeout.milliseconds) ms, gzip \(gzip), headers \(headers.map { $0.0 })"
    }
}

/// The resource every exported span carries. `service.name`: OTEL_SERVICE_NAME, else the
/// `service.name` in OTEL_RESOURCE_ATTRIBUTES, else `serviceName`. Other OTEL_RESOURCE_ATTRIBUTES
/// entries are added, and replace the built-in value of the same key. A malformed
/// OTEL_RESOURCE_ATTRIBUTES (an entry without "=", an empty key, bad percent-encoding) is
/// discarded whole, as the spec asks.
public func resourceFromEnvironment(_ env: [String: String], serviceName: String, serviceVersion: String) -> ExportResource {
    var fromEnv: [(String, String)] = []
    if let raw = env["OTEL_RESOURCE_ATTRIBUTES"] {
        fromEnv = EnvParse.keyValueList(raw, strict: true) ?? []
    }
    var name = serviceName
    if let n = fromEnv.last(where: { $0.0 == "service.name" })?.1, !n.isEmpty { name = n }
    if let n = env["OTEL_SERVICE_NAME"].map(EnvParse.trim), !n.isEmpty { name = n }

    var attrs: [Attribute] = [
        Attribute("service.name", name),
        Attribute("service.version", serviceVersion),
        Attribute("service.instance.id", EnvParse.randomInstanceID()),
        Attribute("host.name", EnvParse.hostName()),
        Attribute("process.pid", Int64(getpid())),
        Attribute("telemetry.sdk.name", "chain"),
        Attribute("telemetry.sdk.language", "swift"),
        Attribute("telemetry.sdk.version", telemetrySDKVersion),
    ]
    for (k, v) in fromEnv where k != "service.name" {
        if let i = attrs.firstIndex(where: { $0.key == k }) {
            attrs[i] = Attribute(k, v)
        } else {
            attrs.append(Attribute(k, v))
        }
    }
    return ExportResource(attributes: attrs)
}

/// `telemetry.sdk.version` of the resource.
public let telemetrySDKVersion = "0.1.0"
