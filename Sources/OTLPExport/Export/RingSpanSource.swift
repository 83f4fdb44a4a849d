import Tracing

/// The exporter's source of spans in a process: the loops' rings of encoded spans. A batch is
/// peeked from the rings in turn, copied into one request a run of spans at a time, and only
/// then released to the producers.
///
/// `@unchecked Sendable`: built on one thread, then used by the exporter thread alone (`take`
/// and its scratch `runs`/`taken`), which is the rings' one consumer.
public final class RingSpanSource: @unchecked Sendable {
    let rings: [SpanRing]
    let resource: ExportResource
    let scopeName: String
    let scopeVersion: String
    private var runs: [UnsafeRawBufferPointer] = []      // exporter thread only
    private var taken: [SpanRing.Entries?]               // exporter thread only
    /// The ring a batch is taken from first, moved on by one every batch: from ring 0 every
    /// time, a busy first loop could fill whole batches while the other rings filled up.
    private var first = 0                                // exporter thread only

    public init(rings: [SpanRing], resource: ExportResource, scopeName: String, scopeVersion: String) {
        self.rings = rings
        self.resource = resource
        self.scopeName = scopeName
        self.scopeVersion = scopeVersion
        taken = Array(repeating: nil, count: rings.count)
    }

    /// `SpanExporter.Take`: up to `max` spans, ring by ring from `first` on, as one request in `out`.
    /// The consumer side of every ring: call it from one thread only (the exporter's).
    public func take(max: Int, encoding: SpanEncoding, into out: inout [UInt8]) -> Int {
        var n = 0
        for i in rings.indices { taken[i] = nil }
        for k in rings.indices {
            let i = (first + k) % rings.count
            guard n < max else { break }
            let e = rings[i].peek(max: max - n)
            if !e.first.isEmpty { runs.append(e.first) }
            if !e.second.isEmpty { runs.append(e.second) }
            taken[i] = e
            n += e.count
        }
        first = (first + 1) % Swift.max(1, rings.count)
        guard n > 0 else { return 0 }
        switch encoding {
        case .protobuf:
            TracesRequest.encode(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, runs: runs, into: &out)
        case .json:
            TracesRequest.encodeJSON(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, runs: runs, into: &out)
        }
        for i in rings.indices { if let e = taken[i] { rings[i].release(e) } }
        runs.removeAll(keepingCapacity: true)   // the bytes belong to the producers again
        return n
    }
}
