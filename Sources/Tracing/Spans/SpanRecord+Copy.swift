extension SpanRecord {
    /// Byte offsets of the two fixed arrays, which the layout check below requires to be the
    /// record's last fields.
    static let attributesOffset = MemoryLayout<SpanRecord>.offset(of: \SpanRecord.attributes)!
    static let eventsOffset = MemoryLayout<SpanRecord>.offset(of: \SpanRecord.events)!

    /// True when every scalar field lies before `attributes` and `events` ends the record, so
    /// `copyUsed` may copy a prefix plus the used array elements. Checked once (and in tests);
    /// when false, `copyUsed` falls back to a whole copy.
    static let layoutAllowsPartialCopy: Bool = {
        let a = attributesOffset, e = eventsOffset
        let attrBytes = MemoryLayout<SpanAttribute>.stride * maxAttributes
        let eventBytes = MemoryLayout<SpanEventRecord>.stride * maxEvents
        return a + attrBytes <= e && e + eventBytes == MemoryLayout<SpanRecord>.size
            && MemoryLayout<SpanRecord>.offset(of: \SpanRecord.traceState)! < a
            && MemoryLayout<SpanRecord>.offset(of: \SpanRecord.statusMessage)! < a
            && MemoryLayout<SpanRecord>.offset(of: \SpanRecord.truncatedText)! < a
    }()

    /// Copies a record, skipping the unused tail of its attribute and event arrays: a typical
    /// span uses a few hundred of its ~2.4 KB.
    ///
    /// Invariant: readers only look at `attributes[0..<attributeCount]` and
    /// `events[0..<eventCount]`, so the elements left uncopied (stale bytes of an earlier
    /// record, all BitwiseCopyable: no references to retain) are never read.
    @inline(__always)
    static func copyUsed(from src: UnsafePointer<SpanRecord>, to dst: UnsafeMutablePointer<SpanRecord>) {
        guard layoutAllowsPartialCopy else { return dst.initialize(to: src.pointee) }
        let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        d.copyMemory(from: s, byteCount: attributesOffset)
        let a = Int(src.pointee.attributeCount) * MemoryLayout<SpanAttribute>.stride
        (d + attributesOffset).copyMemory(from: s + attributesOffset, byteCount: a)
        let e = Int(src.pointee.eventCount) * MemoryLayout<SpanEventRecord>.stride
        (d + eventsOffset).copyMemory(from: s + eventsOffset, byteCount: e)
    }
}
