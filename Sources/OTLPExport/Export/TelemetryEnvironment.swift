// The telemetry variables checked at start. `ExporterConfig.from` and `Sampler(environment:)`
// fall back to defaults on a bad value, as the OpenTelemetry configuration spec allows; a
// server that starts anyway and exports nowhere is worse than one that refuses to start, so
// `chain serve` asks here first and stops on any problem.

import HTTP1
import Tracing

public enum TelemetryEnvironment {
    /// One line per variable that is set (not blank) but cannot work, naming it and its value.
    public static func problems(_ env: [String: String]) -> [String] {
        var out: [String] = []
        func value(_ name: String) -> String? {
            guard let v = env[name] else { return nil }
            let t = EnvParse.trim(v)
            return t.isEmpty ? nil : t
        }
        func check(_ name: String, _ why: String, _ ok: (String) -> Bool) {
            if let v = value(name), !ok(v) { out.append("\(name)=\(v): \(why)") }
        }

        check("OTEL_SDK_DISABLED", "must be true or false") { ["true", "false"].contains(EnvParse.lower($0)) }
        if value("OTEL_SDK_DISABLED").map(EnvParse.lower) == "true" { return out }   // nothing else is used

        for name in ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"] {
            guard let v = value(name) else { continue }
            if EnvParse.lower(v).hasPrefix("https://") {
                out.append("\(name)=\(v): https is not supported (the exporter speaks plain HTTP); "
                    + "send to a collector nearby over http://")
            } else if HTTPURL(v) == nil {
                out.append("\(name)=\(v): not a URL of the form http://host[:port][/path]")
            }
        }
        for suffix in ["HEADERS", "TIMEOUT", "COMPRESSION"] {
            for name in ["OTEL_EXPORTER_OTLP_TRACES_" + suffix, "OTEL_EXPORTER_OTLP_" + suffix] {
                switch suffix {
                case "HEADERS":
                    check(name, "expected key=value pairs separated by commas (percent-encoded)") {
                        EnvParse.keyValueList($0, strict: true) != nil
                    }
                case "TIMEOUT":
                    check(name, "expected a whole number of milliseconds above 0") { EnvParse.milliseconds($0, allowZero: false) != nil }
                default:
                    check(name, "expected gzip or none") { ["gzip", "none"].contains(EnvParse.lower($0)) }
                }
            }
        }
        check("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "expected a whole number above 0") { EnvParse.positiveInt($0) != nil }
        check("OTEL_BSP_SCHEDULE_DELAY", "expected a whole number of milliseconds") { EnvParse.milliseconds($0, allowZero: true) != nil }
        check("OTEL_BSP_EXPORT_TIMEOUT", "expected a whole number of milliseconds above 0") { EnvParse.milliseconds($0, allowZero: false) != nil }
        check("CHAIN_SPAN_RING_SIZE", "expected a whole number above 0") { EnvParse.positiveInt($0) != nil }
        check("OTEL_RESOURCE_ATTRIBUTES", "expected key=value pairs separated by commas (percent-encoded)") {
            EnvParse.keyValueList($0, strict: true) != nil
        }

        let kinds = Sampler.Kind.allCases.map(\.rawValue)
        check("OTEL_TRACES_SAMPLER", "unknown sampler; one of \(kinds.joined(separator: ", "))") {
            Sampler.Kind(rawValue: EnvParse.lower($0)) != nil
        }
        let kind = value("OTEL_TRACES_SAMPLER").flatMap { Sampler.Kind(rawValue: EnvParse.lower($0)) } ?? .parentBasedTraceIDRatio
        if kind == .traceIDRatio || kind == .parentBasedTraceIDRatio {
            check("OTEL_TRACES_SAMPLER_ARG", "expected a ratio from 0 to 1") { Double($0).map { (0...1).contains($0) } ?? false }
        }
        return out
    }
}
