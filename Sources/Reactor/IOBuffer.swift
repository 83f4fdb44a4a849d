import Glibc

/// A growable byte buffer with a read and a write index, used for a connection's input and
/// output. Memory is raw and owned by the buffer; the pool hands buffers out and takes them back.
///
/// Invariant: 0 <= readIndex <= writeIndex <= capacity, and bytes [readIndex, writeIndex) are
/// initialized. Pointers handed out (`readable`, `writableTail`) stay valid until the next call
/// that may move memory: `reserve`, `compact`, or returning the buffer to the pool.
public final class IOBuffer {
    public private(set) var base: UnsafeMutableRawPointer
    public private(set) var capacity: Int
    public var readIndex = 0
    // Moved only by the buffer (append, read, compact, clear), so the invariant holds; usable
    // from inlinable code so the appends below inline into the writers of other modules.
    @usableFromInline var writeIndex = 0

    public init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    @inline(__always) public var readableCount: Int { writeIndex - readIndex }
    @inline(__always) public var writableCount: Int { capacity - writeIndex }
    @inline(__always) public var isEmpty: Bool { readIndex == writeIndex }

    @inline(__always)
    public var readable: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + readIndex, count: writeIndex - readIndex)
    }

    public func clear() {
        readIndex = 0
        writeIndex = 0
    }

    /// Moves unread bytes to the front so the tail has room. Invalidates pointers into the buffer.
    public func compact() {
        if readIndex == 0 { return }
        let n = readableCount
        if n > 0 { memmove(base, base + readIndex, n) }
        readIndex = 0
        writeIndex = n
    }

    /// Ensures `count` writable bytes at the tail, compacting first and growing only if needed.
    public func reserve(_ count: Int) {
        if writableCount >= count { return }
        compact()
        if writableCount >= count { return }
        var newCapacity = capacity * 2
        while newCapacity - writeIndex < count { newCapacity *= 2 }
        let p = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        p.copyMemory(from: base, byteCount: writeIndex)
        base.deallocate()
        base = p
        capacity = newCapacity
    }

    /// Inlinable, with the room check inline and `reserve` only when it fails: a response's
    /// head is a dozen short appends, and two calls each (append, reserve) were most of their
    /// cost (callgrind).
    @inlinable @inline(__always)
    public func append(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        if capacity &- writeIndex < n { reserve(n) }
        if let src = bytes.baseAddress { ShortBytes.copy(base + writeIndex, src, n) }
        writeIndex &+= n
    }

    @inlinable @inline(__always)
    public func append(_ s: StaticString) {
        append(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Disfavored, so a string literal takes the `StaticString` form: literals had resolved
    /// here, five a response, at about 50 instructions each against a few (callgrind).
    @_disfavoredOverload
    public func append(_ s: String) {
        // Native and small strings lend their bytes; `var s = s; s.withUTF8` paid a retain and
        // a release per call (callgrind). Others (bridged) are made contiguous first.
        if s.utf8.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) != nil { return }
        var s = s
        s.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    @inlinable @inline(__always)
    public func append(byte: UInt8) {
        if capacity == writeIndex { reserve(1) }
        base.storeBytes(of: byte, toByteOffset: writeIndex, as: UInt8.self)
        writeIndex &+= 1
    }

    /// Appends the decimal digits of `v` without going through String.
    public func append(decimal v: Int) {
        reserve(DecimalText.maxBytes)
        writeIndex += DecimalText.write(Int64(v), to: base + writeIndex)
    }

    /// Reads once from fd into the tail. Returns bytes read, 0 on EOF, -1 with errno set.
    @inline(__always)
    public func read(from fd: Int32) -> Int {
        let n = Glibc.read(fd, base + writeIndex, writableCount)
        if n > 0 { writeIndex += n }
        return n
    }

    /// Writes as much of the readable bytes as the socket takes. Returns bytes written or -1.
    @inline(__always)
    public func write(to fd: Int32) -> Int {
        let n = Glibc.send(fd, base + readIndex, readableCount, Int32(MSG_NOSIGNAL))
        if n > 0 {
            readIndex += n
            if readIndex == writeIndex { clear() }
        }
        return n
    }
}

/// Buffers of one size, recycled per loop so a request allocates none in steady state.
/// Grown buffers are dropped on return rather than kept at their larger size.
public final class BufferPool {
    public let size: Int
    private var free: [IOBuffer] = []
    private let maxFree: Int

    public init(size: Int, maxFree: Int = 1024) {
        self.size = size
        self.maxFree = maxFree
    }

    @inline(__always)
    public func take() -> IOBuffer {
        if let b = free.popLast() { return b }
        return IOBuffer(capacity: size)
    }

    @inline(__always)
    public func give(_ b: IOBuffer) {
        guard b.capacity == size, free.count < maxFree else { return }
        b.clear()
        free.append(b)
    }
}
