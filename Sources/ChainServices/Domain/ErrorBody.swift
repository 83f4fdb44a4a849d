// Error bodies: `{"error":{"code":"...","message":"..."},"trace_id":"..."}`.

public enum ErrorCode: String, Equatable, Sendable, CaseIterable {
    case invalidJSON = "invalid_json"
    case invalidRequest = "invalid_request"
    case userNotFound = "user_not_found"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case payloadTooLarge = "payload_too_large"
    case upstreamError = "upstream_error"
    case unavailable = "unavailable"
    case upstreamTimeout = "upstream_timeout"
    case idempotencyInFlight = "idempotency_in_flight"
    case idempotencyMismatch = "idempotency_mismatch"

    /// The HTTP status of this code (API.md "Errors").
    public var httpStatus: Int {
        switch self {
        case .invalidJSON, .invalidRequest: return 400
        case .userNotFound, .notFound: return 404
        case .methodNotAllowed: return 405
        case .payloadTooLarge: return 413
        case .upstreamError: return 502
        case .unavailable: return 503
        case .upstreamTimeout: return 504
        case .idempotencyInFlight: return 409
        case .idempotencyMismatch: return 422
        }
    }
}

public struct ErrorBody: Equatable, Sendable, Error {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var httpStatus: Int { code.httpStatus }

    public func write(to w: inout JSONWriter, traceId: String) {
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.field("code", code.rawValue)
        w.field("message", message)
        w.endObject()
        w.field("trace_id", traceId)
        w.endObject()
    }

    public func json(traceId: String) -> [UInt8] {
        var w = JSONWriter(capacity: 96 + message.utf8.count)
        write(to: &w, traceId: traceId)
        return w.bytes
    }

    /// Decodes an error body (e.g. from an upstream); nil when it is not one.
    public init?(json v: JSONValue) {
        guard let e = v["error"], let c = e["code"]?.stringValue, let code = ErrorCode(rawValue: c),
              let m = e["message"]?.stringValue else { return nil }
        self.init(code, m)
    }
}
