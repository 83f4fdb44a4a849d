public struct ResponseHead: Sendable {
    public var status: UInt16 = 0
    public var versionMinor: UInt8 = 1
    /// Raw reason phrase, possibly empty.
    public var reason: ByteRange = .empty
    /// -1 when absent.
    public var contentLength: Int64 = -1
    public var chunked = false
    public var keepAlive = true
    public var headLength = 0

    public init() {}
}

public enum ResponseFraming: Equatable, Sendable {
    case none
    case contentLength(Int64)
    case chunked
    case untilClose
}

extension ResponseHead {
    /// How the body is delimited (RFC 9112 6.3): no body for 1xx/204/304 or a HEAD request;
    /// chunked wins over Content-Length; without either, the body runs until the server closes.
    public func framing(requestMethodWasHEAD: Bool) -> ResponseFraming {
        if requestMethodWasHEAD || status < 200 || status == 204 || status == 304 { return .none }
        if chunked { return .chunked }
        if contentLength >= 0 { return .contentLength(contentLength) }
        return .untilClose
    }
}
