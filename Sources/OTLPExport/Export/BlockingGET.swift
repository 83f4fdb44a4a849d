import HTTP1
import Reactor

/// A blocking GET for command-line tools (`chain trace --tempo`), built on the exporter's
/// client. Not for loop threads.
public enum BlockingGET {
    public static func fetch(host: String, port: Int, path: String, timeout: TimeAmount = .seconds(10),
                             maxBody: Int = 64 << 20) -> Result<(status: Int, body: [UInt8]), GETError> {
        let client = BlockingHTTPClient(host: host, port: port, maxResponseBody: maxBody)
        defer { client.close() }
        switch client.request(method: .GET, path: path, headers: [("Accept", "application/json")], body: [],
                              deadline: Instant.now() + timeout) {
        case .success(let r): return .success((r.status, r.body))
        case .failure(let f): return .failure(GETError(description: f.description))
        }
    }

    public struct GETError: Error, CustomStringConvertible { public let description: String }
}
