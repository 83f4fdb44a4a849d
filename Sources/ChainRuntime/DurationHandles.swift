import HTTP1
import Metrics

/// One loop's `http_server_request_duration_seconds` handles, by (route, method, status), made
/// on first use. The lookup runs on every request: per (route, method) the last status's handle
/// is kept in a dense array, so a route answering one status (nearly every request under load)
/// finds its handle with an index and a compare; other statuses fall back to a dictionary. A
/// dictionary alone cost about 230 instructions a request, most of them hashing (callgrind).
final class DurationHandles {
    private struct Recent {
        let status: UInt16
        let handle: HistogramHandle
    }
    private var recent: [Recent?] = []
    private var all: [Int: HistogramHandle] = [:]
    private let make: (RequestSummary, UInt16) -> HistogramHandle

    /// `make` creates the handle for a (route, method, status) seen for the first time.
    init(make: @escaping (RequestSummary, UInt16) -> HistogramHandle) { self.make = make }

    func handle(_ summary: RequestSummary, status: UInt16) -> HistogramHandle {
        let i = (summary.routeIndex + 1) << 4 | Int(summary.method.rawValue)   // routes from -1, 16 methods each
        if i < recent.count, let r = recent[i], r.status == status { return r.handle }
        let key = summary.routeIndex << 24 | Int(summary.method.rawValue) << 16 | Int(status)
        let h: HistogramHandle
        if let found = all[key] {
            h = found
        } else {
            h = make(summary, status)
            all[key] = h
        }
        if i >= recent.count { recent += repeatElement(nil, count: i + 1 - recent.count) }
        recent[i] = Recent(status: status, handle: h)
        return h
    }
}
