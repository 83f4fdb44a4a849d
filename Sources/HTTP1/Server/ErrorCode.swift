/// The `code` of every JSON error body (API.md "Errors"), with its HTTP status: one table for
/// the errors the server writes itself (a malformed request, 404, 405, a missed deadline) and
/// those the services write.
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
    // Protocol errors only the server itself answers (API.md: a malformed request gets its 4xx).
    case requestTimeout = "request_timeout"
    case uriTooLong = "uri_too_long"
    case headersTooLarge = "headers_too_large"
    case notImplemented = "not_implemented"
    case internalError = "internal_error"

    /// The HTTP status of this code.
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
        case .requestTimeout: return 408
        case .uriTooLong: return 414
        case .headersTooLarge: return 431
        case .notImplemented: return 501
        case .internalError: return 500
        }
    }

    /// The code of an error the server answers with `status` on its own.
    init(serverStatus status: UInt16) {
        switch status {
        case 400: self = .invalidRequest
        case 404: self = .notFound
        case 405: self = .methodNotAllowed
        case 408: self = .requestTimeout
        case 413: self = .payloadTooLarge
        case 414: self = .uriTooLong
        case 431: self = .headersTooLarge
        case 501: self = .notImplemented
        case 503: self = .unavailable
        case 504: self = .upstreamTimeout
        default: self = .internalError
        }
    }
}
