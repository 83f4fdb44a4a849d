import Tracing

/// The exporter's source of spans in a process: the loops' rings of `SpanRecord`s, encoded where
/// they lie. A batch is peeked from the rings in turn, encoded straight from the slots into one
/// request, and only then released to the producers, so no record is copied on its way out.
///
/// `@unchecked Sendable`: built on one thread, then used by the exporter thread alone (`take`
/// and its scratch `runs`/`taken`), which is the rings' one consumer.
public final class RingSpanSource: @unchecked Sendable {
    let rings: [SPSCRing<SpanRecord>]
    let resource: ExportResource
    let scopeName: String
    let scopeVersion: String
    private var runs: [UnsafeBufferPointer<SpanRecord>] = []   // exporter thread only
    private var taken: [Int]                                     // exporter thread only
    /// The ring a batch is taken from first, moved on by one every batch: from ring 0 every
    /// time, a busy first loop could fill whole batches while the other rings filled up.
    private var first = 0                                        // exporter thread only

    public init(rings: [SPSCRing<SpanRecord>], resource: ExportResource, scopeName: String, scopeVersion: String) {
        self.rings = rings
        self.resource = resource
        self.scopeName = scopeName
        self.scopeVersion = scopeVersion
        taken = Array(repeating: 0, count: rings.count)
    }

    /// `SpanExporter.Take`: up to `max` spans, ring by ring from `first` on, as one request in `out`.
    /// The consumer side of every ring: call it from one thread only (the exporter's).
    public func take(max: Int, encoding: SpanEncoding, into out: inout [UInt8]) -> Int {
        var n = 0
        for i in rings.indices { taken[i] = 0 }
        for k in rings.indices {
            let i = (first + k) % rings.count
            guard n < max else { break }
            let (a, b) = rings[i].peek(max: max - n)
            if !a.isEmpty { runs.append(a) }
            if !b.isEmpty { runs.append(b) }
            taken[i] = a.count + b.count
            n += taken[i]
        }
        first = (first + 1) % Swift.max(1, rings.count)
        guard n > 0 else { return 0 }
        switch encoding {
        case .protobuf:
            SpanRecord.encodeTraces(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, runs: runs, into: &out)
        case .json:   // the span file: a local fallback, not the hot path
            OTLPJSON.encodeTraces(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion,
                                  spans: runs.flatMap { $0.map { $0.exported() } }, into: &out)
        }
        for i in rings.indices where taken[i] > 0 { rings[i].release(taken[i]) }
        runs.removeAll(keepingCapacity: true)   // the slots belong to the producers again
        return n
    }
}
