/// The line shapes both formats share: family header, sample start, exemplar.
extension ExpositionWriter {
    /// HELP and TYPE, once per family.
    mutating func appendHeader(name: String, help: String, type: StaticString, isCounter: Bool) {
        let family = MetricNameRules.familyName(name, isCounter: isCounter, format: format)
        append("# HELP ")
        append(family)
        append(" ")
        appendHelp(help)
        append("\n# TYPE ")
        append(family)
        append(" ")
        append(type)
        append("\n")
    }

    /// `name<suffix>{a="x",le="0.5"} ` (or `name<suffix> ` without labels), ready for the value.
    mutating func appendSampleStart(name: String, suffix: StaticString, labelNames: [String],
                                    labelValues: [String], le: String? = nil)
    {
        append(name)
        append(suffix)
        if labelNames.isEmpty, le == nil { append(" "); return }
        append("{")
        for i in labelNames.indices {
            if i > 0 { append(",") }
            appendLabel(labelNames[i], labelValues[i])
        }
        if let le {
            if !labelNames.isEmpty { append(",") }
            appendLabel("le", le)
        }
        append("} ")
    }

    private mutating func appendLabel(_ name: String, _ value: String) {
        append(name)
        append("=\"")
        appendLabelValue(value)
        append("\"")
    }

    /// ` # {trace_id="..."} value timestamp`, after a bucket's value (OpenMetrics only).
    mutating func appendExemplar(_ e: MetricExemplar) {
        append(" # {trace_id=\"")
        appendTraceID(hi: e.traceHi, lo: e.traceLo)
        append("\"} ")
        append(e.value)
        append(" ")
        appendTimestamp(unixNanos: e.unixNanos)
    }
}
