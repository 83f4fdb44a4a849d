import Reactor
import Tracing

/// OTLP protobuf straight from span records, without building `ExportSpan`s: no strings or
/// arrays are created per span on the exporter thread. Field numbers and the canonical-encoding
/// rules are in OTLPProtobuf.swift; OTLPEncoderTests decodes the output with the official
/// opentelemetry-proto package.
extension SpanRecord {
    static func encodeTraces(resource: ExportResource, scopeName: String, scopeVersion: String,
                             records: UnsafeBufferPointer<SpanRecord>, into out: inout [UInt8]) {
        encodeTraces(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, runs: [records], into: &out)
    }

    /// One request from several runs of records (a ring's slots read in place, say), in order.
    static func encodeTraces(resource: ExportResource, scopeName: String, scopeVersion: String,
                             runs: [UnsafeBufferPointer<SpanRecord>], into out: inout [UInt8]) {
        let resourceLen = OTLPProtobuf.attributesSize(1, resource.attributes)
        let scopeLen = ProtoSize.string(1, scopeName) &+ ProtoSize.string(2, scopeVersion)
        // Each record's size is computed once, here, and reused when it is written. Records are
        // read where they lie, field by field through their pointer: a record is trivial, so
        // any use of it as a value (`for r in run`, `run[i].protoSize`, even `p.pointee.protoSize`)
        // loads all 2.4 KB of it onto the stack first: twice per span, a third of the
        // exporter's time (perf: memmove under encodeTraces).
        var sizes: [Int] = []
        sizes.reserveCapacity(runs.reduce(0) { $0 + $1.count })
        for run in runs { for i in run.indices { sizes.append(protoSize(slot(run, i))) } }
        let spansLen = sizes.reduce(0) { $0 &+ ProtoSize.delimited(2, $1) }
        let scopeSpansLen = ProtoSize.delimited(1, scopeLen) &+ spansLen
        let resourceSpansLen = ProtoSize.delimited(1, resourceLen) &+ ProtoSize.delimited(2, scopeSpansLen)
        let total = ProtoSize.delimited(1, resourceSpansLen)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: total &+ ProtoWriter.slack))
        out.withUnsafeMutableBufferPointer { buf in
            var w = ProtoWriter(base: buf.baseAddress! + start, length: total)
            w.messageHeader(1, length: resourceSpansLen)
            w.messageHeader(1, length: resourceLen)
            OTLPProtobuf.writeAttributes(&w, 1, resource.attributes)
            w.messageHeader(2, length: scopeSpansLen)
            w.messageHeader(1, length: scopeLen)
            w.stringField(1, scopeName)
            w.stringField(2, scopeVersion)
            var k = 0
            for run in runs {
                for i in run.indices {
                    writeProto(slot(run, i), &w, size: sizes[k])
                    k += 1
                }
            }
            precondition(w.position == total, "SpanRecord protobuf: size differs from the precomputed size")
        }
        out.removeLast(ProtoWriter.slack)
    }

    /// Record `i` of `run` where it lies (`i` in `run.indices`, so the pointer is in bounds).
    @inline(__always)
    private static func slot(_ run: UnsafeBufferPointer<SpanRecord>, _ i: Int) -> UnsafePointer<SpanRecord> {
        run.baseAddress.unsafelyUnwrapped + i
    }

    var otlpFlags: UInt32 { otlpSpanFlags(w3c: flags, parentIsRemote: parentIsRemote) }

    /// The encoded size of the record at `r`, from its counts: no text is reached.
    static func protoSize(_ r: UnsafePointer<SpanRecord>) -> Int {
        var n = 18 &+ 10
        let traceState = Int(r.pointee.traceState.count)
        n &+= traceState == 0 ? 0 : ProtoSize.delimited(3, traceState)
        if r.pointee.parentID != 0 { n &+= 10 }
        let nameCount = r.pointee.name.byteCount
        n &+= nameCount == 0 ? 0 : ProtoSize.delimited(5, nameCount)
        n &+= OTLPProtobuf.enumFieldSize(Int32(r.pointee.kind))
        if r.pointee.startUnixNano != 0 { n &+= 9 }
        if r.pointee.endUnixNano != 0 { n &+= 9 }
        for i in 0..<Int(r.pointee.attributeCount) { n &+= ProtoSize.delimited(9, r.pointee.attributes[i].protoSize) }
        n &+= OTLPProtobuf.uint32FieldSize(UInt32(r.pointee.droppedAttributes))
        for i in 0..<Int(r.pointee.eventCount) { n &+= ProtoSize.delimited(11, r.pointee.events[i].protoSize) }
        n &+= OTLPProtobuf.uint32FieldSize(UInt32(r.pointee.droppedEvents))
        let status = statusSize(r)
        if status != 0 { n &+= ProtoSize.delimited(15, status) }
        return n &+ 6   // flags (tag 16 is two bytes) is never 0: HAS_IS_REMOTE is always set
    }

    static func statusSize(_ r: UnsafePointer<SpanRecord>) -> Int {
        let message = Int(r.pointee.statusMessage.count)
        return (message == 0 ? 0 : ProtoSize.delimited(2, message)) &+ OTLPProtobuf.enumFieldSize(Int32(r.pointee.status))
    }

    /// Writes the record at `r`; `size` is its `protoSize`, computed by the caller. The inline
    /// texts (tracestate, status message) are reached only when present.
    static func writeProto(_ r: UnsafePointer<SpanRecord>, _ w: inout ProtoWriter, size: Int) {
        w.messageHeader(2, length: size)
        w.tag(1, .lengthDelimited); w.varint(16)
        w.bigEndian64(r.pointee.traceHi)
        w.bigEndian64(r.pointee.traceLo)
        w.tag(2, .lengthDelimited); w.varint(8)
        w.bigEndian64(r.pointee.spanID)
        if r.pointee.traceState.count != 0 { r.pointee.traceState.withBytes { w.bytesField(3, $0) } }
        if r.pointee.parentID != 0 {
            w.tag(4, .lengthDelimited); w.varint(8)
            w.bigEndian64(r.pointee.parentID)
        }
        r.pointee.name.withBytes { w.bytesField(5, $0) }
        w.int32Field(6, Int32(r.pointee.kind))
        w.fixed64Field(7, r.pointee.startUnixNano)
        w.fixed64Field(8, r.pointee.endUnixNano)
        for i in 0..<Int(r.pointee.attributeCount) { r.pointee.attributes[i].writeProto(&w, field: 9) }
        w.varintField(10, UInt64(r.pointee.droppedAttributes))
        for i in 0..<Int(r.pointee.eventCount) { r.pointee.events[i].writeProto(&w) }
        w.varintField(12, UInt64(r.pointee.droppedEvents))
        let status = statusSize(r)
        if status != 0 {
            w.messageHeader(15, length: status)
            if r.pointee.statusMessage.count != 0 { r.pointee.statusMessage.withBytes { w.bytesField(2, $0) } }
            w.int32Field(3, Int32(r.pointee.status))
        }
        w.fixed32Field(16, otlpSpanFlags(w3c: r.pointee.flags, parentIsRemote: r.pointee.parentIsRemote))
    }
}

extension SpanEventRecord {
    @inline(__always)
    var protoSize: Int {
        var n = timeUnixNano == 0 ? 0 : 9
        n &+= name.utf8CodeUnitCount == 0 ? 0 : ProtoSize.delimited(2, name.utf8CodeUnitCount)
        for i in 0..<Int(attributeCount) { n &+= ProtoSize.delimited(3, attributes[i].protoSize) }
        return n &+ OTLPProtobuf.uint32FieldSize(UInt32(droppedAttributes))
    }

    func writeProto(_ w: inout ProtoWriter) {
        w.messageHeader(11, length: protoSize)
        w.fixed64Field(1, timeUnixNano)
        w.bytesField(2, UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        for i in 0..<Int(attributeCount) { attributes[i].writeProto(&w, field: 3) }
        w.varintField(4, UInt64(droppedAttributes))
    }
}

extension SpanAttribute {
    @inline(__always)
    var anyValueSize: Int {
        switch value {
        case .literal(let s): return ProtoSize.delimited(1, s.utf8CodeUnitCount)
        case .text(let t): return ProtoSize.delimited(1, Int(t.count))
        case .bool: return 2
        case .int(let i): return 1 &+ ProtoSize.varint(UInt64(bitPattern: i))
        case .double: return 9
        }
    }

    /// The KeyValue's size from its parts' sizes (an empty key is omitted, as proto3 does).
    @inline(__always)
    static func keyValueSize(keyCount: Int, anyValueSize: Int) -> Int {
        // Nearly always a key of 1-127 bytes and a value under 128: both lengths one byte.
        if UInt(bitPattern: keyCount &- 1) < 127 && anyValueSize < 128 { return 4 &+ keyCount &+ anyValueSize }
        return (keyCount == 0 ? 0 : ProtoSize.delimited(1, keyCount)) &+ ProtoSize.delimited(2, anyValueSize)
    }

    @inline(__always)
    var protoSize: Int { Self.keyValueSize(keyCount: key.utf8CodeUnitCount, anyValueSize: anyValueSize) }

    func writeProto(_ w: inout ProtoWriter, field: UInt32) {
        let keyCount = key.utf8CodeUnitCount
        let key = UnsafeRawPointer(self.key.utf8Start)
        switch value {   // most attributes: a short key and a short text or an integer
        case .literal(let s):
            if w.shortKeyValue(field, key: key, keyCount, text: UnsafeRawPointer(s.utf8Start), s.utf8CodeUnitCount) { return }
        case .text(let t):
            if t.withBytes({ w.shortKeyValue(field, key: key, keyCount, text: $0.baseAddress!, $0.count) }) { return }
        case .int(let i):
            if w.shortKeyValue(field, key: key, keyCount, int: i) { return }
        default: break
        }
        let valueSize = anyValueSize
        w.messageHeader(field, length: Self.keyValueSize(keyCount: keyCount, anyValueSize: valueSize))
        w.bytesField(1, UnsafeRawBufferPointer(start: key, count: keyCount))
        w.messageHeader(2, length: valueSize)
        switch value {
        case .literal(let s): w.bytesField(1, UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount), always: true)
        case .text(let t): t.withBytes { w.bytesField(1, $0, always: true) }
        case .bool(let b): w.varintField(2, b ? 1 : 0, always: true)
        case .int(let i): w.varintField(3, UInt64(bitPattern: i), always: true)
        case .double(let d):
            w.tag(4, .fixed64)
            w.fixed64(d.bitPattern)
        }
    }
}

extension SpanValue {
    /// The length of a text value's UTF-8 (0 for numbers and booleans).
    var byteCount: Int {
        switch self {
        case .literal(let s): return s.utf8CodeUnitCount
        case .text(let t): return Int(t.count)
        default: return 0
        }
    }

    /// The UTF-8 bytes of a text value (empty for numbers and booleans), without copying to a String.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .literal(let s): return body(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        case .text(let t): return t.withBytes(body)
        default: return body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }
}

extension ProtoWriter {
    /// A KeyValue (field `field`) whose every tag and length is one byte: the field below 16, a
    /// key of at least one byte, and the whole message under 128 bytes. Its 6 header bytes
    /// are stored directly under one bounds check, where the general path checks and encodes
    /// each varint (callgrind: 210 instructions an attribute). The bytes are those of the
    /// general path (canonical encoding); false, with nothing written, when it does not fit.
    @inline(__always)
    mutating func shortKeyValue(_ field: UInt32, key: UnsafeRawPointer, _ keyCount: Int,
                                text: UnsafeRawPointer, _ textCount: Int) -> Bool {
        let anyValue = 2 &+ textCount                    // AnyValue.string_value: 0x0A, length, bytes
        let keyValue = 2 &+ keyCount &+ 2 &+ anyValue      // KeyValue: key (0x0A), value (0x12)
        guard field < 16, keyCount > 0, keyValue < 0x80 else { return false }
        let p = header(field, keyValue: keyValue, key: key, keyCount, anyValue: anyValue)
        p[0] = 0x0A
        p[1] = UInt8(truncatingIfNeeded: textCount)
        ShortBytes.copy(p + 2, text, textCount)
        return true
    }

    /// The same for an integer value (AnyValue.int_value: 0x18, varint).
    @inline(__always)
    mutating func shortKeyValue(_ field: UInt32, key: UnsafeRawPointer, _ keyCount: Int, int: Int64) -> Bool {
        let v = UInt64(bitPattern: int)
        let anyValue = 1 &+ ProtoSize.varint(v)
        let keyValue = 2 &+ keyCount &+ 2 &+ anyValue
        guard field < 16, keyCount > 0, keyValue < 0x80 else { return false }
        let p = header(field, keyValue: keyValue, key: key, keyCount, anyValue: anyValue)
        p[0] = 0x18
        var rest = v, i = 1
        while rest >= 0x80 { p[i] = UInt8(truncatingIfNeeded: rest) | 0x80; rest &>>= 7; i &+= 1 }
        p[i] = UInt8(truncatingIfNeeded: rest)
        return true
    }

    /// Checks room for the whole KeyValue, writes its header, key and value header, advances
    /// past all of it, and returns where the AnyValue's body goes.
    @inline(__always)
    private mutating func header(_ field: UInt32, keyValue: Int, key: UnsafeRawPointer, _ keyCount: Int,
                                 anyValue: Int) -> UnsafeMutablePointer<UInt8> {
        let total = 2 &+ keyValue
        reserveExactly(total)
        let p = base + position
        p[0] = UInt8(truncatingIfNeeded: field << 3 | 2)
        p[1] = UInt8(truncatingIfNeeded: keyValue)
        p[2] = 0x0A
        p[3] = UInt8(truncatingIfNeeded: keyCount)
        ShortBytes.copy(p + 4, key, keyCount)
        let q = p + 4 + keyCount
        q[0] = 0x12
        q[1] = UInt8(truncatingIfNeeded: anyValue)
        advance(total)
        return q + 2
    }

    /// A string field from raw bytes; omitted when empty unless `always`.
    @inline(__always)
    mutating func bytesField(_ field: UInt32, _ b: UnsafeRawBufferPointer, always: Bool = false) {
        guard b.count != 0 || always else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(b.count))
        bytes(b)
    }
}
