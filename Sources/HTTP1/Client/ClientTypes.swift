import Reactor

/// An outbound request. Header lines in `headers` are pre-formatted ("Name: value\r\n"); this
/// is also where a later layer adds `traceparent`/`tracestate`.
public struct ClientRequest {
    public var method: HTTPMethod
    /// The request-target in origin-form: "/" then visible ASCII without '#' (RFC 9112 3.2).
    /// `HTTPClient.send` refuses any other with `ClientError.invalidRequest` and sends nothing, so
    /// a path built from input can never break the request line (CR, LF, NUL, spaces).
    public var path: String
    public var headers = ExtraHeaders()
    public var contentType: StaticString? = nil
    public var body: [UInt8] = []
    public init(method: HTTPMethod, path: String, contentType: StaticString? = nil, body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.contentType = contentType
        self.body = body
    }

    /// Whether `path` can be written as the request-target (see `path`).
    public var hasValidPath: Bool { Self.isValidPath(path) }

    public static func isValidPath(_ path: String) -> Bool {
        path.utf8.first == UInt8(ascii: "/") && path.utf8.allSatisfy { ByteClass.table[Int($0)] & ByteClass.target != 0 }
    }
}

/// A response as views into the client connection's buffer: valid only during the callback.
public struct ClientResponse {
    public let status: UInt16
    public let raw: UnsafeRawBufferPointer
    public let headers: HeaderTable
    public let body: UnsafeRawBufferPointer

    public func header(_ lowercaseName: StaticString) -> UnsafeRawBufferPointer? {
        headers.find(lowercaseName, in: raw).map {
            UnsafeRawBufferPointer(rebasing: raw[Int($0.start) ..< Int($0.start + $0.count)])
        }
    }
}

public enum ClientError: Error, Equatable, CustomStringConvertible {
    case connectFailed(Int32)      // errno of the failed connect
    case connectTimeout
    case timeout                   // no complete response before the deadline
    case connectionClosed          // the peer closed or reset after the request was sent
    case invalidResponse(ParseErrorCode)
    case overloaded                // pool full and the deadline passed while waiting
    case shuttingDown
    case invalidRequest            // the path is not a valid request-target; nothing was sent

    public var description: String {
        switch self {
        case .connectFailed(let e): return "connect failed (errno \(e))"
        case .connectTimeout: return "connect timed out"
        case .timeout: return "response timed out"
        case .connectionClosed: return "connection closed before a complete response"
        case .invalidResponse(let c): return "invalid response (\(c))"
        case .overloaded: return "no connection available before the deadline"
        case .shuttingDown: return "client is shutting down"
        case .invalidRequest: return "request path is not a valid request-target"
        }
    }

    /// Errors that happened before any byte of the request reached the peer, so a retry
    /// cannot run the request twice.
    var isBeforeSend: Bool {
        switch self {
        case .connectFailed, .connectTimeout: return true
        default: return false
        }
    }
}

public enum ClientResult {
    case response(ClientResponse)
    case failure(ClientError)
}

public typealias ClientCompletion = (ClientResult) -> Void

public struct ClientConfig: Sendable {
    public var maxConnections = 128
    public var connectTimeout = TimeAmount.seconds(1)
    /// Pooled connections idle longer than this are closed (below typical server keep-alive).
    public var idleTimeout = TimeAmount.seconds(30)
    public var limits: HTTPLimits = {
        var l = HTTPLimits()
        l.maxBody = 1 << 20
        return l
    }()
    public init() {}
}
