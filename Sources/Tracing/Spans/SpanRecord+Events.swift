import Reactor

// Events are encoded into the record's event area as Span.events fields (AttributeWire.swift):
// the general form here, and the parts `Tracer.addEvent`'s inlined three-attribute form uses.

extension SpanRecord {
    /// Encodes an event with the first `maxEventAttributes` of `attrs` (the rest, and
    /// `extraDropped`, counted in it); past the count or the room the event is dropped and counted.
    mutating func addEvent(_ name: StaticString, at time: UInt64, _ attrs: [SpanAttribute], extraDropped: UInt32 = 0) {
        let kept = min(attrs.count, Self.maxEventAttributes)
        let dropped = UInt64(attrs.count &- kept) &+ UInt64(extraDropped)
        var body = Self.eventHeadSize(name, time)
        for i in 0..<kept { body &+= AttributeWire.fieldSize(attrs[i].keyValueSize) }
        if dropped != 0 { body &+= 1 &+ Varint.size(dropped) }
        let size = AttributeWire.fieldSize(body)
        withUnsafeMutablePointer(to: &self) { r in
            guard let p = Self.reserveEvent(r, size: size) else { return }
            var i = Self.writeEventHead(p, body: body, name, time)
            for k in 0..<kept {
                let a = attrs[k]
                i &+= a.write(tag: AttributeWire.eventAttributeTag, keyValueSize: a.keyValueSize, to: p + i)
            }
            if dropped != 0 {
                p[i] = 4 << 3
                i &+= 1 &+ Varint.put(p + i + 1, dropped)
            }
            precondition(i == size, "SpanRecord.addEvent: encoded size differs from the computed size")
        }
    }

    /// Room for one more encoded event of `size` bytes in the record at `r`: counts it and
    /// returns where its bytes go, or counts it dropped and returns nil.
    @usableFromInline
    static func reserveEvent(_ r: UnsafeMutablePointer<SpanRecord>, size: Int) -> UnsafeMutablePointer<UInt8>? {
        let used = Int(r.pointee.eventByteCount)
        guard Int(r.pointee.eventCount) < maxEvents, size <= eventCapacity &- used else {
            r.pointee.droppedEvents &+= 1
            return nil
        }
        r.pointee.eventByteCount = UInt16(used &+ size)
        r.pointee.eventCount &+= 1
        // In bounds: used + size <= eventCapacity, the area's length; the area is UInt8s.
        return (UnsafeMutableRawPointer(r) + eventAreaOffset + used).assumingMemoryBound(to: UInt8.self)
    }

    /// The bytes of an Event's time and name fields (each omitted when 0 or empty).
    @inlinable @inline(__always)
    static func eventHeadSize(_ name: StaticString, _ time: UInt64) -> Int {
        let n = name.utf8CodeUnitCount
        return (time == 0 ? 0 : 9) &+ (n == 0 ? 0 : AttributeWire.fieldSize(n))
    }

    /// Writes a Span.events field's tag and length (`body`), then the Event's time and name, at
    /// `p`; returns the bytes written. The attributes follow.
    @inlinable @inline(__always)
    static func writeEventHead(_ p: UnsafeMutablePointer<UInt8>, body: Int, _ name: StaticString, _ time: UInt64) -> Int {
        p[0] = AttributeWire.eventTag
        var i = 1 &+ Varint.put(p + 1, UInt64(body))
        if time != 0 {
            p[i] = 1 << 3 | 1
            UnsafeMutableRawPointer(p + i + 1).storeBytes(of: time.littleEndian, as: UInt64.self)
            i &+= 9
        }
        let n = name.utf8CodeUnitCount
        if n != 0 { i &+= AttributeWire.putBytes(p + i, tag: 2 << 3 | 2, name.utf8Start, n) }
        return i
    }
}
