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
        guard !n.isEmpty, n.allSatisfy({ ByteClass.table[Int($0)] & ByteClass.token != 0 }),
              value.utf8.allSatisfy({ ByteClass.table[Int($0)] & ByteClass.fieldValue != 0 }) else { return false }
        lines.append(contentsOf: n)
        lines.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
        lines.append(contentsOf: value.utf8)
        lines.append(contentsOf: [13, 10])
        return true
    }
}
