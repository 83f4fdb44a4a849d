/// Bounds that keep a hostile or broken peer from making a connection hold unbounded memory.
public struct HTTPLimits: Sendable {
    /// Request line including its CRLF (leading empty lines not counted) -> 414.
    public var maxRequestLine = 8192
    /// Whole head from the first byte to the final CRLF -> 431.
    public var maxHeaderBytes = 16384
    /// Field lines in one head -> 431.
    public var maxHeaderCount = 100
    /// Declared Content-Length, or the sum of chunk sizes -> 413.
    public var maxBody = 65536
    /// Chunked framing (size lines, extensions, CRLFs) of one body -> 400; nil is the larger of
    /// 16 KiB and `maxBody` (see `ChunkedDecoder.maxFramingBytes`).
    public var maxChunkFraming: Int? = nil

    public init() {}
}
