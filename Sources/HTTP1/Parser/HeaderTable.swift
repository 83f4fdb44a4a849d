public struct HeaderField: Sendable {
    public var name: ByteRange
    /// Leading and trailing OWS already trimmed.
    public var value: ByteRange

    @inlinable
    public init(name: ByteRange, value: ByteRange) {
        self.name = name
        self.value = value
    }
}

/// Field byte ranges of one head. Allocated once per connection and reused for every message,
/// so parsing a request allocates nothing.
public final class HeaderTable {
    /// Initialized for all `capacity` slots at init; only [0, count) hold fields of the current head.
    @usableFromInline let storage: UnsafeMutablePointer<HeaderField>
    public let capacity: Int
    public private(set) var count: Int = 0

    public init(capacity: Int) {
        precondition(capacity >= 0, "negative capacity")
        self.capacity = capacity
        storage = .allocate(capacity: Swift.max(capacity, 1))
        storage.initialize(repeating: HeaderField(name: .empty, value: .empty), count: Swift.max(capacity, 1))
    }

    deinit {
        storage.deinitialize(count: Swift.max(capacity, 1))
        storage.deallocate()
    }

    @inlinable
    public subscript(i: Int) -> HeaderField {
        precondition(i >= 0 && i < count, "header index out of range")
        return storage[i]
    }

    public func removeAll() { count = 0 }

    /// False when full; the parser checks capacity first, so this is a second line of defence.
    @inline(__always)
    func append(name: ByteRange, value: ByteRange) -> Bool {
        guard count < capacity else { return false }
        storage[count] = HeaderField(name: name, value: value)
        count += 1
        return true
    }

    /// Value of the first field named `lowercaseName` (ASCII case-insensitive), in the buffer that was parsed.
    public func find(_ lowercaseName: StaticString, in buffer: UnsafeRawBufferPointer) -> ByteRange? {
        guard let base = buffer.baseAddress else { return nil }
        let p = base.assumingMemoryBound(to: UInt8.self)
        for k in 0..<count {
            let f = storage[k]
            guard Int(f.name.count) == lowercaseName.utf8CodeUnitCount else { continue }
            // A table filled from another buffer must not send us reading past this one.
            precondition(f.name.end <= buffer.count && f.value.end <= buffer.count, "header table does not belong to this buffer")
            if ASCII.equalsIgnoringCase(p + Int(f.name.start), Int(f.name.count), lowercaseName) {
                return f.value
            }
        }
        return nil
    }
}
