import Reactor

/// An open span's handle: its ids and flags, and where its record lives. Bitwise copyable on
/// purpose: a server keeps its request's `Span?` in two places and copies it a few times a
/// request, and while the handle held the `tracestate` (an array) each copy of the optional
/// went through the runtime's generic value witnesses, about 500 instructions a `GET /health`
/// (callgrind). A span's `tracestate` is kept by its tracer instead (`Tracer.context(of:)`).
///
/// Every span has a slot while open, recording or not (an unsampled request still needs its
/// context for propagation and its trace id); `slot` is -1 only when even the context overflow
/// (see `Tracer`) was full.
public struct Span: BitwiseCopyable {
    public let traceID: TraceID
    public let spanID: SpanID
    public let flags: TraceFlags
    let slot: Int32
    let generation: UInt32
    public let isRecording: Bool
    /// Its tracer keeps a `tracestate` for it (the list was not empty and the span has a slot).
    let hasTraceState: Bool

    public var isSampled: Bool { flags.contains(.sampled) }

    /// The `traceparent` value that continues the trace under this span (allocates).
    public var traceParent: String { SpanContext(traceID: traceID, spanID: spanID, flags: flags).traceParent }
}

/// Per-loop span recording. Open spans live in a fixed table of records; `end` encodes a record
/// into the loop's ring for the exporter thread (SpanRecord+Wire.swift). Nothing here
/// allocates, locks, or waits: a full table or a full ring drops the span and counts it.
///
/// The table costs memory as it is used: its records and slots are reserved pages (untouched
/// until a slot is first used, SpanSlots), handed out lowest first and reused last-freed first,
/// so the pages touched follow the most spans ever open at once, not `openCapacity`.
///
/// A full record table drops the span's record, never its context: the span then takes a
/// context-only slot past the table (up to `overflowCapacity`), so the
/// request still has its trace id to answer with and to propagate, and its server still ends
/// it (the duration metric). Overload is exactly when the table fills, and exactly when that
/// traffic must stay visible.
public final class Tracer {
    public let ring: SpanRing
    let sampler: Sampler
    /// Whether sampled spans are recorded (false: OTEL_SDK_DISABLED; spans carry context only).
    public let isEnabled: Bool
    var ids: IDGenerator

    /// A trace id for an answer that has no span (an error body written before routing).
    public func freshTraceID() -> TraceID { ids.nextTraceID() }
    let openRecords: ReservedPages<SpanRecord>
    private let open: UnsafeMutablePointer<SpanRecord>
    private let slots: SpanSlots
    /// How many context-only slots may exist at once; past it a span has no slot at all.
    var overflowCapacity: Int { slots.overflowCapacity }
    public let counters: TracerCounters
    /// Called (on the loop) when the ring passes a quarter full: the exporter should not wait
    /// out its schedule delay. Once per crossing.
    public var onHighWater: (() -> Void)?
    private var highWaterSignalled = false
    /// The `tracestate` of each open span that has one, by slot. Only spans under a caller that
    /// sent a non-empty list have one, so most requests never touch this.
    private var traceStates: [Int32: TraceState] = [:]
    /// Open spans whose tracestate is kept (tests: nothing outlives its span).
    var keptTraceStates: Int { traceStates.count }

    /// The default ring (CHAIN_SPAN_RING_SIZE, in spans): room for 2048 spans of
    /// `ringBytesPerSpan`, 1 MiB. The chain's spans encode to 150-1,100 bytes (most under 400),
    /// so more fit. Under load every byte is reached. The exporter is nudged at a quarter full,
    /// and under load a quarter (about 1,400 `GET /health` spans) is what one export request
    /// carries: with batches of 4096 the exporter spent 0.18 µs a span at 512 KiB, 0.14 at
    /// 1 MiB, 0.12 at 4 MiB (Perf/RESULTS.md, "issue 14: memory", "a ring of encoded spans",
    /// "issue 14: fewer, larger exports").
    public static let defaultRingCapacity = 2048
    public static let ringBytesPerSpan = 512

    /// `ringCapacity` spans of `ringBytesPerSpan` bytes: the ring's size in bytes is their
    /// product, rounded up to a power of two.
    public init(ringCapacity: Int = Tracer.defaultRingCapacity, openCapacity: Int = 4096, overflowCapacity: Int = 65536,
                sampler: Sampler, enabled: Bool, counters: TracerCounters = TracerCounters()) {
        slots = SpanSlots(recordCapacity: openCapacity, overflowCapacity: overflowCapacity)
        ring = SpanRing(capacity: min(max(ringCapacity, 1), 1 << 22) * Tracer.ringBytesPerSpan)
        self.sampler = sampler
        self.isEnabled = enabled
        self.counters = counters
        ids = IDGenerator()
        // A record is written by `fill` before anything reads it, so the table's zero pages
        // are never read as records.
        openRecords = ReservedPages(count: openCapacity)
        open = openRecords.base
    }

    /// Starts a span under `parent` (a remote parent from the request, or a local span), or a
    /// new trace when there is none. An unsampled span still gets a context to propagate.
    /// `start` is wall-clock nanoseconds, 0 for now: the clock is read only for a span that
    /// records (an untraced request reads none).
    public func start(_ name: StaticString, kind: SpanKind, parent: SpanContext?, at start: UInt64 = 0) -> Span {
        let ctx = SpanContext.start(parent: parent, sampler: sampler, ids: &ids)
        let records = isEnabled && ctx.isSampled
        if records { counters.started.add() }
        guard let slot = slots.takeRecordSlot() else {
            if records { counters.dropped.add() }
            return contextOnly(ctx)
        }
        let state = slots.state(Int(slot))
        state.pointee.generation &+= 1
        state.pointee.recording = records
        if records { fill(open + Int(slot), ctx, parent, kind, name, start == 0 ? wallNanos() : start) }
        return handle(ctx, slot: slot, generation: state.pointee.generation, recording: records)
    }

    /// A span without a record (the table is full): a context-only slot keeps it open, so its
    /// server still ends it (the duration metric) and its tracestate is still propagated. Past
    /// every slot the handle still has its ids, but no tracestate.
    private func contextOnly(_ ctx: SpanContext) -> Span {
        guard let slot = slots.takeOverflowSlot() else {
            return Span(traceID: ctx.traceID, spanID: ctx.spanID, flags: ctx.flags, slot: -1, generation: 0,
                        isRecording: false, hasTraceState: false)
        }
        let state = slots.state(Int(slot))
        state.pointee.generation &+= 1
        state.pointee.recording = false
        return handle(ctx, slot: slot, generation: state.pointee.generation, recording: false)
    }

    @inline(__always)
    private func handle(_ ctx: SpanContext, slot: Int32, generation: UInt32, recording: Bool) -> Span {
        let keepsState = !ctx.traceState.isEmpty
        if keepsState { traceStates[slot] = ctx.traceState }
        return Span(traceID: ctx.traceID, spanID: ctx.spanID, flags: ctx.flags, slot: slot, generation: generation,
                    isRecording: recording, hasTraceState: keepsState)
    }

    /// The context to propagate from `span` and to start its children under: its ids, flags and
    /// `tracestate`. Once the span has ended its tracestate is gone (the handle outlives it
    /// harmlessly, as everywhere here), and the context carries none.
    public func context(of span: Span) -> SpanContext {
        var state = TraceState()
        if span.hasTraceState, isOpen(span), let kept = traceStates[span.slot] { state = kept }
        return SpanContext(traceID: span.traceID, spanID: span.spanID, flags: span.flags, traceState: state)
    }

    private func fill(_ r: UnsafeMutablePointer<SpanRecord>, _ ctx: SpanContext, _ parent: SpanContext?,
                      _ kind: SpanKind, _ name: StaticString, _ start: UInt64) {
        r.pointee.reset()
        r.pointee.traceHi = ctx.traceID.hi
        r.pointee.traceLo = ctx.traceID.lo
        r.pointee.spanID = ctx.spanID.value
        r.pointee.parentID = parent?.spanID.value ?? 0
        r.pointee.parentIsRemote = parent?.isRemote ?? false
        r.pointee.flags = ctx.flags.rawValue
        r.pointee.kind = UInt8(kind.rawValue)
        r.pointee.nameLiteral = name
        r.pointee.nameIsText = false
        r.pointee.startUnixNano = start
        guard !ctx.traceState.isEmpty else { return }
        if ctx.traceState.bytes.count <= InlineMessage.capacity {
            r.pointee.traceState = InlineMessage(ctx.traceState.headerValue)
        } else {
            r.pointee.truncatedText = true
        }
    }

    /// Whether `span` is still open (a handle outlives its span harmlessly: every call with
    /// an ended span's handle is ignored).
    func isOpen(_ span: Span) -> Bool {
        slots.isValid(span.slot) && slots.state(Int(span.slot)).pointee.generation == span.generation
    }

    @inline(__always)
    private func record(_ span: Span) -> UnsafeMutablePointer<SpanRecord>? {
        guard span.isRecording, slots.state(Int(span.slot)).pointee.generation == span.generation else { return nil }
        return open + Int(span.slot)
    }

    /// Encodes the attribute into the span's record (AttributeWire.swift). Inlined: at a call
    /// site the key and the value's kind are known, and the encoding folds down to them. The
    /// value's kind is switched on once, into a straight-line path per kind: a body that
    /// switched in each of its steps was often left out of line by the optimizer, at about 140
    /// instructions a call (callgrind), three times the inlined cost.
    @inlinable @inline(__always)
    public func setAttribute(_ span: Span, _ key: StaticString, _ value: SpanValue) {
        switch value {
        case .literal(let s): setString(span, key, UnsafeRawPointer(s.utf8Start), s.utf8CodeUnitCount, cut: false)
        case .text(let t): t.withBytes { setString(span, key, $0.baseAddress!, $0.count, cut: t.truncated) }
        case .int(let v): setScalar(span, key, 1 &+ Varint.size(UInt64(bitPattern: v))) { p in
            p[0] = 3 << 3
            _ = Varint.put(p + 1, UInt64(bitPattern: v))
        }
        case .bool(let b): setScalar(span, key, 2) { p in
            p[0] = 2 << 3
            p[1] = b ? 1 : 0
        }
        case .double(let d): setScalar(span, key, 9) { p in
            p[0] = 4 << 3 | 1
            UnsafeMutableRawPointer(p + 1).storeBytes(of: d.bitPattern.littleEndian, as: UInt64.self)
        }
        }
    }

    /// A string attribute: `n` bytes at `bytes`.
    @inlinable @inline(__always)
    func setString(_ span: Span, _ key: StaticString, _ bytes: UnsafeRawPointer, _ n: Int, cut: Bool) {
        let any = AttributeWire.fieldSize(n)
        let body = AttributeWire.keyValueSize(key, anyValue: any)
        guard let p = attributeBytes(span, size: AttributeWire.fieldSize(body), cut: cut) else { return }
        let i = AttributeWire.putKeyValueHead(p, tag: AttributeWire.spanAttributeTag, body: body, key, anyValue: any)
        _ = AttributeWire.putBytes(p + i, tag: 1 << 3 | 2, bytes, n)
    }

    /// A number or boolean attribute whose AnyValue body is `any` bytes, written by `value`.
    @inlinable @inline(__always)
    func setScalar(_ span: Span, _ key: StaticString, _ any: Int, _ value: (UnsafeMutablePointer<UInt8>) -> Void) {
        let body = AttributeWire.keyValueSize(key, anyValue: any)
        guard let p = attributeBytes(span, size: AttributeWire.fieldSize(body), cut: false) else { return }
        value(p + AttributeWire.putKeyValueHead(p, tag: AttributeWire.spanAttributeTag, body: body, key, anyValue: any))
    }

    /// Where the next attribute's `size` bytes go in `span`'s record, counted; nil when the span
    /// does not record, has ended, or its record has no room (counted as dropped).
    @usableFromInline
    func attributeBytes(_ span: Span, size: Int, cut: Bool) -> UnsafeMutablePointer<UInt8>? {
        guard let r = record(span) else { return nil }
        return SpanRecord.reserveAttribute(r, size: size, cut: cut)
    }

    /// Appends attributes encoded beforehand (see `EncodedAttributes`).
    public func addAttributes(_ span: Span, _ attributes: EncodedAttributes) {
        guard let r = record(span) else { return }
        SpanRecord.append(attributes, to: r)
    }

    /// A string attribute from UTF-8 bytes (a request's path, say), cut as `InlineText` cuts:
    /// at `InlineText.capacity` bytes, on a character boundary, and counted. Inlined like
    /// `setAttribute`; the cut, rare, is not.
    @inlinable @inline(__always)
    public func setAttribute(_ span: Span, _ key: StaticString, utf8 bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > InlineText.capacity else {
            return setString(span, key, bytes.baseAddress ?? UnsafeRawPointer(key.utf8Start), bytes.count, cut: false)
        }
        let n = InlineText.fitting(bytes)
        setString(span, key, base, n, cut: n < bytes.count)
    }

    /// Names the span and appends `attributes` (a server span's route: both made once per
    /// route), with one look-up of the record.
    public func setName(_ span: Span, _ name: InlineText, attributes: EncodedAttributes) {
        guard let r = record(span) else { return }
        r.pointee.nameText = name
        r.pointee.nameIsText = true
        SpanRecord.append(attributes, to: r)
    }

    public func addEvent(_ span: Span, _ name: StaticString, _ attributes: [SpanAttribute] = [], at time: UInt64 = wallNanos()) {
        record(span)?.pointee.addEvent(name, at: time, attributes)
    }

    /// An event with three attributes (an order's items), encoded at the call site like
    /// `setAttribute`'s, and without the array the general form takes.
    @inlinable @inline(__always)
    public func addEvent(_ span: Span, _ name: StaticString, _ a: SpanAttribute, _ b: SpanAttribute, _ c: SpanAttribute,
                         at time: UInt64 = wallNanos()) {
        let (ka, kb, kc) = (a.keyValueSize, b.keyValueSize, c.keyValueSize)
        let body = SpanRecord.eventHeadSize(name, time) &+ AttributeWire.fieldSize(ka) &+ AttributeWire.fieldSize(kb)
            &+ AttributeWire.fieldSize(kc)
        guard let p = eventBytes(span, size: AttributeWire.fieldSize(body)) else { return }
        var i = SpanRecord.writeEventHead(p, body: body, name, time)
        i &+= a.write(tag: AttributeWire.eventAttributeTag, keyValueSize: ka, to: p + i)
        i &+= b.write(tag: AttributeWire.eventAttributeTag, keyValueSize: kb, to: p + i)
        _ = c.write(tag: AttributeWire.eventAttributeTag, keyValueSize: kc, to: p + i)
    }

    /// Where the next event's `size` bytes go in `span`'s record, counted; nil as for
    /// `attributeBytes`.
    @usableFromInline
    func eventBytes(_ span: Span, size: Int) -> UnsafeMutablePointer<UInt8>? {
        guard let r = record(span) else { return nil }
        return SpanRecord.reserveEvent(r, size: size)
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

    /// Ends the span: a recording one is encoded into the ring (or dropped and counted when the
    /// ring has no room); its slot is free again. `end` is wall-clock nanoseconds, 0 for now.
    public func end(_ span: Span, at end: UInt64 = 0) {
        guard slots.isValid(span.slot) else { return }
        let i = Int(span.slot)
        let state = slots.state(i)
        guard state.pointee.generation == span.generation else { return }
        state.pointee.generation &+= 1   // later calls with this handle are ignored
        if span.hasTraceState { traceStates[span.slot] = nil }
        if state.pointee.recording {
            let r = open + i
            r.pointee.endUnixNano = end == 0 ? wallNanos() : end   // 0: now, as for `start`
            if r.pointee.truncatedText { counters.truncated.add() }
            if let dst = ring.reserve(SpanRecord.wireSizeBound(r)) {
                ring.publish(byteCount: SpanRecord.writeWireBounded(r, to: dst))
            } else {
                counters.dropped.add()
            }
            checkHighWater()
        }
        slots.free(span.slot)
    }

    @inline(__always)
    private func checkHighWater() {
        if !highWaterSignalled {
            if ring.producerSeesAtLeast(ring.capacity / 4), let signal = onHighWater {
                highWaterSignalled = true
                signal()
            }
        } else if !ring.producerSeesAtLeast(ring.capacity / 8) {
            highWaterSignalled = false
        }
    }
}
