import Reactor

/// A recording span: where its record lives while open, and the context to propagate.
/// `slot` is -1 for a span that records nothing (unsampled, disabled, or no free slot).
public struct Span {
    public let context: SpanContext
    let slot: Int32
    let generation: UInt32
    public var isRecording: Bool { slot >= 0 }
}

/// Per-loop span recording. Open spans live in a fixed table of records; `end` moves a record
/// into the loop's ring for the exporter thread. Nothing here allocates in steady state, locks,
/// or waits: a full table or a full ring drops the span and counts it.
public final class Tracer {
    public let ring: SPSCRing<SpanRecord>
    let sampler: Sampler
    let enabled: Bool
    var ids: IDGenerator
    private let open: UnsafeMutablePointer<SpanRecord>
    private var generations: [UInt32]
    private var free: [Int32]
    let counters: TracerCounters

    public init(ringCapacity: Int = 8192, openCapacity: Int = 4096, sampler: Sampler, enabled: Bool,
                counters: TracerCounters = TracerCounters()) {
        ring = SPSCRing(capacity: ringCapacity)
        self.sampler = sampler
        self.enabled = enabled
        self.counters = counters
        ids = IDGenerator()
        open = .allocate(capacity: openCapacity)
        open.initialize(repeating: SpanRecord(), count: openCapacity)
        generations = Array(repeating: 0, count: openCapacity)
        free = (0..<Int32(openCapacity)).reversed().map { $0 }
    }

    deinit { open.deallocate() }

    /// Starts a span under `parent` (a remote parent from the request, or a local span), or a
    /// new trace when there is none. An unsampled span still gets a context to propagate.
    public func start(_ name: StaticString, kind: SpanKind, parent: SpanContext?, at start: UInt64 = wallNanos()) -> Span {
        let ctx = SpanContext.start(parent: parent, sampler: sampler, ids: &ids)
        guard enabled, ctx.isSampled else { return Span(context: ctx, slot: -1, generation: 0) }
        counters.started.add()
        guard let slot = free.popLast() else {
            counters.dropped.add()
            return Span(context: ctx, slot: -1, generation: 0)
        }
        let i = Int(slot)
        generations[i] &+= 1
        let r = open + i
        r.pointee.reset()
        r.pointee.traceHi = ctx.traceID.hi
        r.pointee.traceLo = ctx.traceID.lo
        r.pointee.spanID = ctx.spanID.value
        r.pointee.parentID = parent?.spanID.value ?? 0
        r.pointee.parentIsRemote = parent?.isRemote ?? false
        r.pointee.flags = ctx.flags.rawValue
        r.pointee.kind = UInt8(kind.rawValue)
        r.pointee.name = .literal(name)
        r.pointee.startUnixNano = start
        if !ctx.traceState.isEmpty {
            if ctx.traceState.bytes.count <= InlineMessage.capacity {
                r.pointee.traceState = InlineMessage(ctx.traceState.headerValue)
            } else {
                r.pointee.truncatedText = true
            }
        }
        return Span(context: ctx, slot: slot, generation: generations[i])
    }

    @inline(__always)
    private func record(_ span: Span) -> UnsafeMutablePointer<SpanRecord>? {
        guard span.slot >= 0, generations[Int(span.slot)] == span.generation else { return nil }
        return open + Int(span.slot)
    }

    public func setAttribute(_ span: Span, _ key: StaticString, _ value: SpanValue) {
        record(span)?.pointee.add(SpanAttribute(key, value))
    }

    public func setName(_ span: Span, _ name: String) {
        record(span)?.pointee.name = .text(InlineText(name))
    }

    public func addEvent(_ span: Span, _ name: StaticString, _ attributes: [SpanAttribute] = [], at time: UInt64 = wallNanos()) {
        record(span)?.pointee.addEvent(name, at: time, attributes)
    }

    /// Marks the span failed and records an `exception` event (OpenTelemetry's convention).
    public func recordError(_ span: Span, type: StaticString, message: String) {
        guard let r = record(span) else { return }
        r.pointee.status = UInt8(StatusCode.error.rawValue)
        r.pointee.statusMessage = InlineMessage(message)
        r.pointee.addEvent("exception", at: wallNanos(), [
            SpanAttribute("exception.type", .literal(type)),
            SpanAttribute("exception.message", .text(InlineText(message))),
        ])
    }

    public func setStatusOK(_ span: Span) {
        record(span)?.pointee.status = UInt8(StatusCode.ok.rawValue)
    }

    /// Ends the span: its record is copied into the ring (or dropped and counted when full).
    public func end(_ span: Span, at end: UInt64 = wallNanos()) {
        guard let r = record(span) else { return }
        let i = Int(span.slot)
        generations[i] &+= 1   // later calls with this handle are ignored
        r.pointee.endUnixNano = end
        if let dst = ring.reserve() {
            dst.initialize(to: r.pointee)
            ring.publish()
        } else {
            counters.dropped.add()
        }
        free.append(span.slot)
    }
}
