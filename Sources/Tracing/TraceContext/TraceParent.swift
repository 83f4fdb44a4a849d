/// The `traceparent` header: `version-traceid-parentid-flags`, 55 bytes in version 00.
public enum TraceParent {
    public static let length = 55

    /// Parses one `traceparent` value. Nil means "start a new trace" (and ignore `tracestate`).
    ///
    /// Optional whitespace around the value is allowed. Unknown flag bits are dropped, since
    /// the spec makes senders zero them. A version above 00 may carry more `-`-separated
    /// fields after the flags, which are ignored; version 00 must be exactly 55 bytes.
    public static func parse(_ value: UnsafeRawBufferPointer) -> SpanContext? {
        let r = TraceStateGrammar.trimOWS(value, 0..<value.count)
        guard r.count >= length else { return nil }
        let p = UnsafeRawBufferPointer(rebasing: value[r])
        guard let version = LowerHex.read(p, at: 0, count: 2), version != 0xFF,
              r.count == length || (version != 0 && p[length] == dash),
              p[2] == dash, p[35] == dash, p[52] == dash,
              let hi = LowerHex.read(p, at: 3, count: 16),
              let lo = LowerHex.read(p, at: 19, count: 16),
              let span = LowerHex.read(p, at: 36, count: 16),
              let flags = LowerHex.read(p, at: 53, count: 2),
              (hi | lo) != 0, span != 0
        else { return nil }
        return SpanContext(
            traceID: TraceID(hi: hi, lo: lo), spanID: SpanID(span),
            flags: TraceFlags(rawValue: UInt8(truncatingIfNeeded: flags)).intersection(.known),
            traceState: TraceState(), isRemote: true)
    }

    public static func parse(_ value: String) -> SpanContext? {
        var s = value
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// The incoming context of a request from all its `traceparent` and `tracestate` values.
    /// Two `traceparent` fields are ambiguous, so they count as none; `tracestate` is read
    /// only under a valid parent, and an invalid one is dropped without affecting the parent.
    public static func extract(traceparent: [UnsafeRawBufferPointer],
                               tracestate: [UnsafeRawBufferPointer]) -> IncomingContext {
        extract(onlyTraceparent: traceparent.count == 1 ? traceparent[0] : nil, tracestate: tracestate)
    }

    /// `extract` for a caller that counted the `traceparent` fields itself: `onlyTraceparent`
    /// is the value when there was exactly one, else nil. (A server's every request comes
    /// through here: collecting the one value in an array cost an allocation.)
    public static func extract(onlyTraceparent: UnsafeRawBufferPointer?,
                               tracestate: [UnsafeRawBufferPointer]) -> IncomingContext {
        guard let value = onlyTraceparent, var parent = parse(value) else {
            return IncomingContext(parent: nil)
        }
        if !tracestate.isEmpty, let state = TraceState.parse(tracestate) {
            parent.traceState = state
        }
        return IncomingContext(parent: parent)
    }

    static let dash = UInt8(ascii: "-")
}

extension SpanContext {
    /// Writes this context as a version-00 `traceparent` (55 bytes) at the start of `buffer`
    /// and returns 55. Only the flags this version defines are written.
    @discardableResult
    public func writeTraceParent(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= TraceParent.length, "traceparent needs 55 bytes")
        let p = buffer.baseAddress!
        p.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: TraceParent.dash, toByteOffset: 2, as: UInt8.self)
        traceID.writeHex(into: UnsafeMutableRawBufferPointer(rebasing: buffer[3..<35]))
        p.storeBytes(of: TraceParent.dash, toByteOffset: 35, as: UInt8.self)
        spanID.writeHex(into: UnsafeMutableRawBufferPointer(rebasing: buffer[36..<52]))
        p.storeBytes(of: TraceParent.dash, toByteOffset: 52, as: UInt8.self)
        LowerHex.write(UInt64(flags.intersection(.known).rawValue), count: 2, to: p + 53)
        return TraceParent.length
    }

    /// The `traceparent` value as bytes (allocates).
    public var traceParentBytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: TraceParent.length) { buf, n in
            n = writeTraceParent(into: UnsafeMutableRawBufferPointer(buf))
        }
    }

    /// The `traceparent` value as a string (allocates).
    public var traceParent: String {
        String(unsafeUninitializedCapacity: TraceParent.length) {
            writeTraceParent(into: UnsafeMutableRawBufferPointer($0))
        }
    }
}
