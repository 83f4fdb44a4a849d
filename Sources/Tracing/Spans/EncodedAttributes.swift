import Reactor

/// Attributes encoded once, for spans that all carry the same ones (a server's method, route
/// and port, per route): `Tracer.addAttributes` appends them to a span with one copy, where
/// each `setAttribute` reserves room, counts and encodes (callgrind: about 100 instructions an
/// attribute on a `GET /health` span).
public struct EncodedAttributes: Sendable {
    /// Span.attributes fields, as a record keeps them (AttributeWire.swift).
    let bytes: [UInt8]
    let count: Int
    /// What did not fit one record (counted as dropped on every span they are added to).
    let dropped: Int
    let truncated: Bool

    public init(_ attributes: [SpanAttribute]) {
        // Encoded by a record's own general form, so the bytes and the bounds are the same.
        var r = SpanRecord()
        for a in attributes { r.add(a) }
        bytes = withUnsafePointer(to: &r) { Array(SpanRecord.attributeBytes($0)) }
        count = Int(r.attributeCount)
        dropped = Int(r.droppedAttributes)
        truncated = r.truncatedText
    }
}

extension SpanRecord {
    /// Appends `a` to the record at `r`: all of it, or (past the count or the room) none of it,
    /// counted as dropped.
    static func append(_ a: EncodedAttributes, to r: UnsafeMutablePointer<SpanRecord>) {
        if a.truncated { r.pointee.truncatedText = true }
        r.pointee.droppedAttributes &+= UInt16(truncatingIfNeeded: a.dropped)
        let used = Int(r.pointee.attributeByteCount)
        guard Int(r.pointee.attributeCount) &+ a.count <= maxAttributes, a.bytes.count <= attributeCapacity &- used else {
            r.pointee.droppedAttributes &+= UInt16(truncatingIfNeeded: a.count)
            return
        }
        // In bounds: used + a.bytes.count <= attributeCapacity, the area's length.
        a.bytes.withUnsafeBytes { b in
            if let src = b.baseAddress { (UnsafeMutableRawPointer(r) + attributeAreaOffset + used).copyMemory(from: src, byteCount: b.count) }
        }
        r.pointee.attributeByteCount = UInt16(used &+ a.bytes.count)
        r.pointee.attributeCount &+= UInt8(a.count)
    }
}
