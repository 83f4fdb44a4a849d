/// A 16-byte W3C trace id, held as two integers so it is compared, hashed and copied
/// without touching memory. `hi` holds the first 8 bytes on the wire.
public struct TraceID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var hi: UInt64
    public var lo: UInt64

    @inlinable
    public init(hi: UInt64, lo: UInt64) {
        self.hi = hi
        self.lo = lo
    }

    /// All zeros: the spec's "invalid" trace id.
    public static let invalid = TraceID(hi: 0, lo: 0)

    public var isValid: Bool { (hi | lo) != 0 }

    public static let hexLength = 32

    /// Parses exactly 32 lowercase hex digits. All-zero parses (it is well-formed); check `isValid`.
    public init?(hex: UnsafeRawBufferPointer) {
        guard hex.count == 32,
              let hi = LowerHex.read(hex, at: 0, count: 16),
              let lo = LowerHex.read(hex, at: 16, count: 16) else { return nil }
        self.init(hi: hi, lo: lo)
    }

    public init?(hex: String) {
        var s = hex
        guard let id = s.withUTF8({ TraceID(hex: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = id
    }

    /// Writes 32 lowercase hex digits at the start of `buffer`; returns 32.
    @discardableResult
    public func writeHex(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= 32, "TraceID.writeHex needs 32 bytes")
        LowerHex.write(hi, count: 16, to: buffer.baseAddress!)
        LowerHex.write(lo, count: 16, to: buffer.baseAddress! + 16)
        return 32
    }

    /// Writes the 16 raw bytes in wire order (OTLP's `trace_id`); returns 16.
    @discardableResult
    public func writeBytes(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= 16, "TraceID.writeBytes needs 16 bytes")
        buffer.storeBytes(of: hi.bigEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: lo.bigEndian, toByteOffset: 8, as: UInt64.self)
        return 16
    }

    /// The 32-digit form, e.g. for a JSON body or a database row (allocates).
    public var hexString: String {
        String(unsafeUninitializedCapacity: 32) { writeHex(into: UnsafeMutableRawBufferPointer($0)) }
    }

    public var description: String { hexString }
}
