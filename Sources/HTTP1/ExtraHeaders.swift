/// Header fields a response or an outbound request carries besides the ones its writer frames
/// itself (status or request line, Content-Length, Date, Connection). Server and client share it.
public struct ExtraHeaders {
    /// The header lines, each "Name: value\r\n", already formatted (no per-header allocation).
    /// Only `add` writes here, so every line is well formed.
    public private(set) var lines: [UInt8] = []
    public init() {}

    /// Adds one header line, or refuses it and returns false when `name` is not a token or
    /// `value` holds a byte a field value may not (RFC 9110 5.5: CR, LF, NUL and the other
    /// controls except HTAB). A value may come from a request, so it must never be able to end
    /// the line early and smuggle a header or a response in; refusing is the caller's signal,
    /// never a crash.
    @discardableResult
    public mutating func add(_ name: StaticString, _ value: String) -> Bool {
        let n = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        guard !n.isEmpty, Self.all(n, ByteClass.token), Self.isFieldValue(value) else { return false }
        lines.append(contentsOf: n)
        lines.append(UInt8(ascii: ":"))
        lines.append(UInt8(ascii: " "))
        // From the string's buffer: appending the `UTF8View` itself copies byte by byte.
        if value.utf8.withContiguousStorageIfAvailable({ lines.append(contentsOf: $0) }) == nil {
            lines.append(contentsOf: value.utf8)
        }
        lines.append(13)
        lines.append(10)
        return true
    }

    /// Every byte of `bytes` is in `cls`. A loop over the buffer, not `allSatisfy` on a
    /// `String.UTF8View`: this runs for every traced call's `traceparent` (that way it took
    /// about 1,400 instructions a header).
    private static func all(_ bytes: UnsafeBufferPointer<UInt8>, _ cls: UInt8) -> Bool {
        let table = ByteClass.table
        for b in bytes where table[Int(b)] & cls == 0 { return false }
        return true
    }

    private static func isFieldValue(_ value: String) -> Bool {
        if let ok = value.utf8.withContiguousStorageIfAvailable({ all($0, ByteClass.fieldValue) }) { return ok }
        return value.utf8.allSatisfy { ByteClass.table[Int($0)] & ByteClass.fieldValue != 0 }
    }
}
