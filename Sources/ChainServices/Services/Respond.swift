import HTTP1
import Postgres
import Tracing
import Metrics

extension Responder {
    /// An API.md error body with the request's trace id (the server span records the status).
    func fail(_ error: ErrorBody, traceId: String) {
        respond(status: UInt16(error.httpStatus), body: error.json(traceId: traceId))
    }
}

/// How a failed call to the next service is reported (API.md "Errors", "Retries, timeouts and
/// idempotency"). 502 and 503 promise that the next service committed nothing: only failures
/// before any byte of the request left (connect refused or timed out, no pooled connection in
/// time, shutting down, an unsendable path) and its own 502/503 answers are reported so. Once the
/// request was written, a missing or broken answer (timeout, connection closed, an invalid
/// response) leaves the outcome unknown: 504.
func upstreamError(_ result: ClientResult) -> ErrorBody? {
    switch result {
    case .failure(.timeout):
        return ErrorBody(.upstreamTimeout, "the next service did not answer in time; the outcome is unknown")
    case .failure(.connectionClosed), .failure(.invalidResponse):
        return ErrorBody(.upstreamTimeout, "the connection to the next service broke after the request was sent; the outcome is unknown")
    case .failure(.connectFailed), .failure(.connectTimeout), .failure(.overloaded), .failure(.shuttingDown):
        return ErrorBody(.unavailable, "the next service cannot be reached")
    case .failure(.invalidRequest):
        return ErrorBody(.upstreamError, "the request to the next service could not be sent")
    case .response(let r):
        switch r.status {
        case 200: return nil
        case 503: return ErrorBody(.unavailable, "the next service is unavailable")
        case 504: return ErrorBody(.upstreamTimeout, "the next service timed out; the outcome is unknown")
        case 409: return ErrorBody(.idempotencyInFlight, "a request with the same Idempotency-Key is still being processed")
        // 502, other 5xx, and a 4xx the next service refused (it committed nothing).
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
/// - Anything else committed nothing: 503 `unavailable`, a client may retry. That includes the
///   server's own stop (statement_timeout 57014, lock_timeout 55P03): the batch rolled back.
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
