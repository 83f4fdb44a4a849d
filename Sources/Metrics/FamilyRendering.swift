/// A declared family as the registry sees it at scrape time.
protocol MetricFamilyRendering: AnyObject, Sendable {
    var name: String { get }
    var isCounter: Bool { get }
    func render(into w: inout ExpositionWriter)
}

extension CounterFamily: MetricFamilyRendering {
    var isCounter: Bool { true }

    func render(into w: inout ExpositionWriter) {
        w.appendHeader(name: name, help: help, type: "counter", isCounter: true)
        for s in collect() {
            w.appendSampleStart(name: name, suffix: "", labelNames: labelNames,
                                labelValues: s.labelValues)
            w.append(s.value)
            w.append("\n")
        }
    }
}

extension ComputedMetricFamily: MetricFamilyRendering {
    var isCounter: Bool { kind == .counter }

    func render(into w: inout ExpositionWriter) {
        w.appendHeader(name: name, help: help, type: kind == .counter ? "counter" : "gauge",
                       isCounter: isCounter)
        // A sample with the wrong number of label values is left out rather than trapping in
        // the middle of a scrape.
        for s in read() where s.labelValues.count == labelNames.count {
            w.appendSampleStart(name: name, suffix: "", labelNames: labelNames,
                                labelValues: s.labelValues)
            w.append(s.value)
            w.append("\n")
        }
    }
}

extension HistogramFamily: MetricFamilyRendering {
    var isCounter: Bool { false }

    func render(into w: inout ExpositionWriter) {
        w.appendHeader(name: name, help: help, type: "histogram", isCounter: false)
        for s in collect() {
            renderSeries(s.labelValues, s.totals, into: &w)
        }
    }

    private func renderSeries(_ labelValues: [String], _ t: HistogramTotals,
                              into w: inout ExpositionWriter)
    {
        var cumulative: UInt64 = 0
        for b in t.buckets.indices {
            cumulative &+= t.buckets[b]
            w.appendSampleStart(name: name, suffix: "_bucket", labelNames: labelNames,
                                labelValues: labelValues, le: leValues[b])
            w.append(cumulative)
            if w.format == .openMetrics, let e = t.exemplars[b] { w.appendExemplar(e) }
            w.append("\n")
        }
        w.appendSampleStart(name: name, suffix: "_sum", labelNames: labelNames,
                            labelValues: labelValues)
        w.append(t.sum)
        w.append("\n")
        w.appendSampleStart(name: name, suffix: "_count", labelNames: labelNames,
                            labelValues: labelValues)
        w.append(cumulative)
        w.append("\n")
    }
}
