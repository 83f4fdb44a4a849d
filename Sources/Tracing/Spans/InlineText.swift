// Texts stored inline, so a span record holds no references and is copied into the ring with
// one memcpy. The bytes live in 8-byte words, not in an `InlineArray` of bytes: that one has
// alignment 1, and the compiler moved it a byte at a time wherever a text was copied out of
// an attribute's enum payload (callgrind: about 120 instructions for each text attribute the
// exporter wrote). A word copy is six moves for an attribute's text. `withBytes` is inlinable:
// the exporter (another module) reads every text attribute through it.

/// Up to `capacity` bytes of UTF-8. Longer text is cut (at a character boundary) and the cut
/// is remembered, so the exporter can count it.
public struct InlineText: BitwiseCopyable {
    public static let capacity = 47
    // 48 bytes ≥ capacity; a tuple, which zeroes in a few stores (`InlineArray(repeating:)`
    // was a call and a loop per text).
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    public private(set) var count: UInt8 = 0
    public private(set) var truncated = false

    public init() {}

    public init(_ raw: UnsafeRawBufferPointer) {
        let n = InlineBytes.fitting(raw, Self.capacity)
        withUnsafeMutableBytes(of: &words) { InlineBytes.store(raw, n, into: $0) }
        count = UInt8(n)
        truncated = n < raw.count
    }

    public init(_ s: String) {
        var s = s
        self = s.withUTF8 { InlineText(UnsafeRawBufferPointer($0)) }
    }

    /// The text's bytes (valid only inside `body`).
    @inlinable
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        let n = Int(count)
        return withUnsafeBytes(of: words) { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// How many leading bytes of `raw` an `InlineText` keeps.
    @usableFromInline
    static func fitting(_ raw: UnsafeRawBufferPointer) -> Int { InlineBytes.fitting(raw, capacity) }
}

/// A longer inline text for status messages (error descriptions) and the tracestate.
public struct InlineMessage: BitwiseCopyable {
    public static let capacity = 120
    @usableFromInline var words: InlineArray<15, UInt64> = InlineArray(repeating: 0)  // 120 bytes
    public private(set) var count: UInt8 = 0

    public init() {}

    public init(_ s: String) {
        var s = s
        s.withUTF8 { raw in
            let n = InlineBytes.fitting(UnsafeRawBufferPointer(raw), Self.capacity)
            withUnsafeMutableBytes(of: &words) { InlineBytes.store(UnsafeRawBufferPointer(raw), n, into: $0) }
            count = UInt8(n)
        }
    }

    /// The text's bytes where they lie, not a copy of them.
    @inlinable
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        let n = Int(count)
        return words.span.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }
}

enum InlineBytes {
    /// How many leading bytes of `raw` fit in `capacity` without splitting a UTF-8 sequence:
    /// a cut backs up over continuation bytes.
    static func fitting(_ raw: UnsafeRawBufferPointer, _ capacity: Int) -> Int {
        var n = min(raw.count, capacity)
        if n < raw.count { while n > 0 && raw[n] & 0xC0 == 0x80 { n -= 1 } }
        return n
    }

    /// Copies `raw[0..<n]` to the start of `storage` (n ≤ storage.count, checked by `fitting`).
    static func store(_ raw: UnsafeRawBufferPointer, _ n: Int, into storage: UnsafeMutableRawBufferPointer) {
        guard n > 0, let from = raw.baseAddress, let to = storage.baseAddress else { return }
        precondition(n <= storage.count)
        to.copyMemory(from: from, byteCount: n)
    }
}
