extension SpanRecord {
    /// True when every scalar field lies before the two byte areas, so `copyUsed` may copy a
    /// prefix plus the used part of each area (the two long texts after them are copied as
    /// fields). Required by `Tracer.init` (and checked in tests).
    static var layoutAllowsPartialCopy: Bool {
        let a = attributeAreaOffset, e = eventAreaOffset
        let scalars: [Int?] = [
            MemoryLayout<SpanRecord>.offset(of: \SpanRecord.truncatedText),
            MemoryLayout<SpanRecord>.offset(of: \SpanRecord.attributeByteCount),
            MemoryLayout<SpanRecord>.offset(of: \SpanRecord.eventByteCount),
            MemoryLayout<SpanRecord>.offset(of: \SpanRecord.statusMessageCount),
            MemoryLayout<SpanRecord>.offset(of: \SpanRecord.traceStateCount),
        ]
        return a + attributeCapacity <= e && scalars.allSatisfy { $0.map { $0 < a } ?? false }
    }

    /// Copies a record, skipping the unused part of its byte areas and the empty long texts: a
    /// typical span uses a few hundred of its ~3.4 KB.
    ///
    /// Invariant: readers only look at the first `attributeByteCount` and `eventByteCount`
    /// bytes of the areas, and at a long text whose count is not 0, so what is left uncopied
    /// (stale bytes of an earlier record, all BitwiseCopyable: no references to retain) is
    /// never read. The layout it relies on is `layoutAllowsPartialCopy`, which every `Tracer`
    /// requires before it copies a record.
    @inline(__always)
    static func copyUsed(from src: UnsafePointer<SpanRecord>, to dst: UnsafeMutablePointer<SpanRecord>) {
        let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        // The scalars and the used attribute bytes are contiguous: one copy.
        d.copyMemory(from: s, byteCount: attributeAreaOffset &+ Int(src.pointee.attributeByteCount))
        let e = Int(src.pointee.eventByteCount)
        if e != 0 { (d + eventAreaOffset).copyMemory(from: s + eventAreaOffset, byteCount: e) }
        if src.pointee.statusMessageCount != 0 { dst.pointee.storedStatusMessage = src.pointee.storedStatusMessage }
        if src.pointee.traceStateCount != 0 { dst.pointee.storedTraceState = src.pointee.storedTraceState }
    }
}
