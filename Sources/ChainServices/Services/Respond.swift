import HTTP1
import Postgres
import Telemetry

extension Responder {
    /// An API.md error body with the request's trace id (the server span records the status).
    func fail(_ error: ErrorBody, traceId: String) {
        respond(status: UInt16(error.httpStatus), body: error.json(traceId: traceId))
    }
}

/// How a failed call to the next service is reported (API.md "Errors").
func upstreamError(_ result: ClientResult) -> ErrorBody? {
    switch result {
    case .failure(.timeout):
        return ErrorBody(.upstreamTimeout, "the next service did not answer in time")
    case .failure(.connectFailed), .failure(.connectTimeout), .failure(.overloaded), .failure(.shuttingDown):
        return ErrorBody(.unavailable, "the next service cannot be reached")
    case .failure:
        return ErrorBody(.upstreamError, "the next service failed")
    case .response(let r):
        switch r.status {
        case 200: return nil
        case 503: return ErrorBody(.unavailable, "the next service is unavailable")
        case 504: return ErrorBody(.upstreamTimeout, "the next service timed out")
        default: return ErrorBody(.upstreamError, "the next service answered \(r.status)")
        }
    }
}

/// How a failed statement is reported (API.md "Errors"). The body never carries the server's
/// message, SQLSTATE or constraint names; those are on the statement's span (`ServiceLoop.query`)
/// and in the error metric.
/// - The request's own values broke a rule of the schema (SQLSTATE class 22, data exception, or
///   23, integrity constraint violation, e.g. an order for a user that does not exist), or a
///   value could not be sent at all: 400 `invalid_request`. Retrying it cannot help.
/// - A write that was sent and not confirmed: 504 `upstream_timeout`, its outcome is unknown.
/// - Anything else committed nothing: 503 `unavailable`, a client may retry.
func databaseError(_ e: PGError, _ sql: SQL) -> ErrorBody {
    switch e {
    case .server("23503", _) where sql == .insertOrder:   // orders.user_id REFERENCES users
        return ErrorBody(.invalidRequest, "user.id must name an existing user")
    case .server(let state, _) where state.hasPrefix("22") || state.hasPrefix("23"):
        return ErrorBody(.invalidRequest, "the request holds a value the database does not accept")
    case .invalidParameter:
        return ErrorBody(.invalidRequest, "the request holds a string with a NUL character")
    case .timeout where !sql.isRead, .connectionLost where !sql.isRead:
        return ErrorBody(.upstreamTimeout, "the database did not confirm the write in time; its outcome is unknown")
    default:
        return ErrorBody(.unavailable, "the database cannot be reached in time")
    }
}

public struct ServiceConfigError: Error, CustomStringConvertible {
    public let description: String
}
