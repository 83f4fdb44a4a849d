/// An 8-byte W3C span id (the `parent-id` field of `traceparent`), first wire byte most significant.
public struct SpanID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var value: UInt64

    @inlinable
    public init(_ value: UInt64) { self.value = value }

    /// All zeros: the spec's "invalid" span id.
    public static let invalid = SpanID(0)

    public var isValid: Bool { value != 0 }

    public static let hexLength = 16

    /// Parses exactly 16 lowercase hex digits. All-zero parses (it is well-formed); check `isValid`.
    public init?(hex: UnsafeRawBufferPointer) {
        guard hex.count == 16, let v = LowerHex.read(hex, at: 0, count: 16) else { return nil }
        self.init(v)
    }

    public init?(hex: String) {
        var s = hex
        guard let id = s.withUTF8({ SpanID(hex: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = id
    }

    /// Writes 16 lowercase hex digits at the start of `buffer`; returns 16.
    @discardableResult
    public func writeHex(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= 16, "SpanID.writeHex needs 16 bytes")
        LowerHex.write(value, count: 16, to: buffer.baseAddress!)
        return 16
    }

    /// Writes the 8 raw bytes in wire order (OTLP's `span_id`); returns 8.
    @discardableResult
    public func writeBytes(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= 8, "SpanID.writeBytes needs 8 bytes")
        buffer.storeBytes(of: value.bigEndian, toByteOffset: 0, as: UInt64.self)
        return 8
    }

    public var hexString: String {
        String(unsafeUninitializedCapacity: 16) { writeHex(into: UnsafeMutableRawBufferPointer($0)) }
    }

    public var description: String { hexString }
}
