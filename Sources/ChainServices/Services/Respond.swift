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

func databaseError(_ e: PGError) -> ErrorBody {
    ErrorBody(.unavailable, "database: \(e)")
}

public struct ServiceConfigError: Error, CustomStringConvertible {
    public let description: String
}
