// Where a record's encoded parts lie. Readers (the exporter) go through these pointers: using
// a record as a value would copy all of it, kilobytes, to read a few hundred bytes.

extension SpanRecord {
    // Computed, not `static let`: the optimizer folds these to constants, where a stored global
    // cost a `swift_once` check at every use (callgrind: 75 an order-service request).
    static var attributeAreaOffset: Int { MemoryLayout<SpanRecord>.offset(of: \SpanRecord.attributeArea)! }
    static var eventAreaOffset: Int { MemoryLayout<SpanRecord>.offset(of: \SpanRecord.eventArea)! }

    /// The encoded attributes of the record at `r`, where they lie: Span.attributes fields,
    /// ready to send. Valid while the record is.
    @inline(__always)
    public static func attributeBytes(_ r: UnsafePointer<SpanRecord>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(r) + attributeAreaOffset, count: Int(r.pointee.attributeByteCount))
    }

    /// The name's bytes of the record at `r`, where they lie.
    @inline(__always)
    static func nameBytes(_ r: UnsafePointer<SpanRecord>) -> (UnsafeRawPointer, Int) {
        if !r.pointee.nameIsText {
            return (UnsafeRawPointer(r.pointee.nameLiteral.utf8Start), r.pointee.nameLiteral.utf8CodeUnitCount)
        }
        // InlineText keeps its bytes in `words`, at its start.
        return (UnsafeRawPointer(r) + nameTextOffset, Int(r.pointee.nameText.count))
    }

    static var nameTextOffset: Int {
        MemoryLayout<SpanRecord>.offset(of: \SpanRecord.nameText)! + MemoryLayout<InlineText>.offset(of: \InlineText.words)!
    }

    /// The tracestate's bytes of the record at `r` (empty when it has none).
    public static func withTraceState<R>(_ r: UnsafePointer<SpanRecord>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard r.pointee.traceStateCount != 0 else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return r.pointee.storedTraceState.withBytes(body)
    }

    /// The status message's bytes of the record at `r` (empty when it has none).
    public static func withStatusMessage<R>(_ r: UnsafePointer<SpanRecord>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard r.pointee.statusMessageCount != 0 else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return r.pointee.storedStatusMessage.withBytes(body)
    }

    /// The encoded events of the record at `r` (Span.events fields), where they lie.
    @inline(__always)
    public static func eventBytes(_ r: UnsafePointer<SpanRecord>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(r) + eventAreaOffset, count: Int(r.pointee.eventByteCount))
    }
}
