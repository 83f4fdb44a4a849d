/// Up to `capacity` bytes of UTF-8 stored inline, so a span record holds no references and is
/// copied into the ring with one memcpy. Longer text is cut (at a character boundary) and the
/// cut is remembered, so the exporter can count it.
public struct InlineText: BitwiseCopyable {
    public static let capacity = 47
    public internal(set) var bytes: InlineArray<47, UInt8> = InlineArray(repeating: 0)
    public internal(set) var count: UInt8 = 0
    public internal(set) var truncated = false

    public init() {}

    public init(_ raw: UnsafeRawBufferPointer) {
        var n = min(raw.count, Self.capacity)
        // Do not split a UTF-8 sequence: back up over continuation bytes.
        if n < raw.count { while n > 0 && raw[n] & 0xC0 == 0x80 { n -= 1 } }
        for i in 0..<n { bytes[i] = raw[i] }
        count = UInt8(n)
        truncated = n < raw.count
    }

    public init(_ s: String) {
        var s = s
        self = s.withUTF8 { InlineText(UnsafeRawBufferPointer($0)) }
    }

    public var string: String {
        var copy = bytes
        let n = Int(count)
        return withUnsafeBytes(of: &copy) { String(decoding: UnsafeRawBufferPointer(rebasing: $0[0..<n]), as: UTF8.self) }
    }
}

/// A longer inline text for status messages (error descriptions).
public struct InlineMessage: BitwiseCopyable {
    public static let capacity = 120
    public internal(set) var bytes: InlineArray<120, UInt8> = InlineArray(repeating: 0)
    public internal(set) var count: UInt8 = 0

    public init() {}

    public init(_ s: String) {
        var s = s
        s.withUTF8 { raw in
            var n = min(raw.count, Self.capacity)
            if n < raw.count { while n > 0 && raw[n] & 0xC0 == 0x80 { n -= 1 } }
            for i in 0..<n { bytes[i] = raw[i] }
            count = UInt8(n)
        }
    }

    public var string: String {
        var copy = bytes
        let n = Int(count)
        return withUnsafeBytes(of: &copy) { String(decoding: UnsafeRawBufferPointer(rebasing: $0[0..<n]), as: UTF8.self) }
    }
}
