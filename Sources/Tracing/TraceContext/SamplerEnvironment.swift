extension Sampler {
    /// The sampler the OpenTelemetry variables describe: `OTEL_TRACES_SAMPLER` (a `Kind`
    /// name, case-insensitive) and `OTEL_TRACES_SAMPLER_ARG` (the ratio). A missing or
    /// unknown name gives `parentbased_traceidratio`; a missing or invalid ratio (not a
    /// number in 0...1) gives 1.0. Taking a dictionary lets tests inject the environment.
    public init(environment: [String: String]) {
        let name = environment["OTEL_TRACES_SAMPLER"].map { Sampler.trimmed($0).lowercased() }
        let kind = name.flatMap(Kind.init(rawValue:)) ?? .parentBasedTraceIDRatio
        let usesRatio = kind == .traceIDRatio || kind == .parentBasedTraceIDRatio
        let ratio = usesRatio ? Sampler.parseRatio(environment["OTEL_TRACES_SAMPLER_ARG"]) : 1.0
        self.init(kind: kind, ratio: ratio)
    }

    static func parseRatio(_ text: String?) -> Double {
        guard let text, let r = Double(trimmed(text)), r >= 0, r <= 1 else { return 1.0 }
        return r
    }

    static func trimmed(_ s: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(s.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
