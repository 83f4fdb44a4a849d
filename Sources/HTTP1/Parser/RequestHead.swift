public enum HTTPMethod: UInt8, Sendable {
    /// `other` is any other valid token; its bytes are in `RequestHead.methodRange`.
    case GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, TRACE, CONNECT, other
}

public enum TargetForm: UInt8, Sendable {
    case origin, absolute, authority, asterisk
}

public struct RequestHead: Sendable {
    public var method: HTTPMethod = .GET
    public var methodRange: ByteRange = .empty
    public var target: ByteRange = .empty
    public var form: TargetForm = .origin
    /// origin: up to '?'; absolute: the URI's path, or a "/" byte of its "//" when the path is empty;
    /// asterisk: "*"; authority: empty.
    public var path: ByteRange = .empty
    /// After '?', excluding it; .empty if there is no '?'.
    public var query: ByteRange = .empty
    /// host[:port] of an absolute-form or authority-form target; .empty otherwise. (Addition to the API.)
    public var authority: ByteRange = .empty
    /// 0 or 1; HTTP/1.2 ... 1.9 are read as 1.1 (RFC 9110 2.5).
    public var versionMinor: UInt8 = 1
    /// Value of the Host header, .empty if none.
    public var host: ByteRange = .empty
    /// -1 when absent.
    public var contentLength: Int64 = -1
    public var chunked = false
    public var keepAlive = true
    public var expectContinue = false
    /// Request line, fields and the final CRLF, plus any skipped leading empty lines.
    public var headLength = 0

    public init() {}
}

extension HTTPMethod {
    /// Methods are case-sensitive (RFC 9110 9.1): "get" is `.other`.
    @inline(__always)
    static func identify(_ p: UnsafePointer<UInt8>, _ n: Int) -> HTTPMethod {
        switch n {
        case 3:
            if ASCII.equals(p, 3, "GET") { return .GET }
            if ASCII.equals(p, 3, "PUT") { return .PUT }
        case 4:
            if ASCII.equals(p, 4, "POST") { return .POST }
            if ASCII.equals(p, 4, "HEAD") { return .HEAD }
        case 5:
            if ASCII.equals(p, 5, "PATCH") { return .PATCH }
            if ASCII.equals(p, 5, "TRACE") { return .TRACE }
        case 6:
            if ASCII.equals(p, 6, "DELETE") { return .DELETE }
        case 7:
            if ASCII.equals(p, 7, "OPTIONS") { return .OPTIONS }
            if ASCII.equals(p, 7, "CONNECT") { return .CONNECT }
        default:
            break
        }
        return .other
    }
}
