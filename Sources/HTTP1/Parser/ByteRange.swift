/// A byte range inside the buffer that was handed to a parser.
/// Offsets rather than pointers: the caller may move or grow its buffer between calls.
public struct ByteRange: Equatable, Sendable {
    public var start: Int32
    public var count: Int32

    public static let empty = ByteRange(start: 0, count: 0)

    @inlinable
    public init(start: Int32, count: Int32) {
        self.start = start
        self.count = count
    }

    /// From half-open offsets; heads are capped by `HTTPLimits`, so they fit in Int32.
    @inline(__always)
    init(_ from: Int, _ to: Int) {
        self.start = Int32(from)
        self.count = Int32(to - from)
    }

    @inlinable public var end: Int { Int(start) + Int(count) }
    @inlinable public var range: Range<Int> { Int(start)..<end }
    @inlinable public var isEmpty: Bool { count == 0 }

    /// The bytes of this range; traps if the range does not lie inside `buffer`.
    @inlinable
    public func bytes(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        precondition(start >= 0 && end <= buffer.count, "byte range outside buffer")
        return UnsafeRawBufferPointer(rebasing: buffer[range])
    }

    /// Exact byte comparison with `literal`.
    public func equals(_ literal: StaticString, in buffer: UnsafeRawBufferPointer) -> Bool {
        let b = bytes(in: buffer)
        guard let base = b.baseAddress else { return literal.utf8CodeUnitCount == 0 }
        return ASCII.equals(base.assumingMemoryBound(to: UInt8.self), b.count, literal)
    }

    /// ASCII case-insensitive comparison with a lowercase `literal`.
    public func equalsIgnoringCase(_ lowercaseLiteral: StaticString, in buffer: UnsafeRawBufferPointer) -> Bool {
        let b = bytes(in: buffer)
        guard let base = b.baseAddress else { return lowercaseLiteral.utf8CodeUnitCount == 0 }
        return ASCII.equalsIgnoringCase(base.assumingMemoryBound(to: UInt8.self), b.count, lowercaseLiteral)
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes of `range` inside this buffer (the one the parser was given).
    @inline(__always)
    func slice(_ range: ByteRange) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[Int(range.start) ..< Int(range.start + range.count)])
    }
}
