/// A handler answers through its `Responder`, now or from a later callback on the same loop.
public typealias Handler = (Request, Responder) -> Void

/// A handler as the router stores it. The struct matters: a bare closure kept in an array is
/// stored at the array's generic abstraction, and reading it back out for a call built a
/// reabstraction thunk, a heap allocation every request (callgrind).
struct RouteHandler {
    let run: Handler
}

/// Maps method + path to a handler. Patterns are split into segments once; matching walks the
/// path bytes against them and records `{param}` segments as byte ranges, allocating nothing.
public final class Router {
    enum Segment {
        case literal([UInt8])
        case param
    }

    /// Whether a route's requests count against the loop's in-flight cap (`ServerConfig`).
    /// Health checks and metrics stay `.always`: an overloaded service must still say so.
    public enum Admission: Sendable { case limited, always }

    struct Entry {
        let pattern: String
        let segments: [Segment]
        var admission = Admission.limited
        var handlers = [RouteHandler?](repeating: nil, count: 10)   // by HTTPMethod.rawValue
        var allow = ""                                              // the Allow header of a 405
    }

    private(set) var entries: [Entry] = []

    public init() {}

    public func add(_ method: HTTPMethod, _ pattern: String, admission: Admission = .limited,
                    _ handler: @escaping Handler) {
        precondition(method != .other, "routes need a known method")
        let index = entries.firstIndex { $0.pattern == pattern } ?? {
            entries.append(Entry(pattern: pattern, segments: Self.split(pattern)))
            return entries.count - 1
        }()
        if admission == .always { entries[index].admission = .always }
        entries[index].handlers[Int(method.rawValue)] = RouteHandler(run: handler)
        entries[index].allow = Self.allowHeader(entries[index].handlers)
    }

    static func split(_ pattern: String) -> [Segment] {
        pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? .param : .literal(Array(part.utf8))
        }
    }

    static func allowHeader(_ handlers: [RouteHandler?]) -> String {
        var names: [String] = []
        let all: [HTTPMethod] = [.GET, .HEAD, .POST, .PUT, .DELETE, .OPTIONS, .PATCH, .TRACE, .CONNECT]
        for m in all where handlers[Int(m.rawValue)] != nil || (m == .HEAD && handlers[Int(HTTPMethod.GET.rawValue)] != nil) {
            names.append("\(m)")
        }
        return names.joined(separator: ", ")
    }

    /// The entry whose pattern matches `path` (byte ranges relative to `pathStart` in the request).
    func match(_ path: UnsafeRawBufferPointer, pathStart: Int32, params: inout RouteParams) -> Int? {
        for i in entries.indices {
            params = RouteParams()
            if Self.matches(entries[i].segments, path, pathStart, &params) { return i }
        }
        return nil
    }

    private static func matches(_ segments: [Segment], _ path: UnsafeRawBufferPointer,
                                _ pathStart: Int32, _ params: inout RouteParams) -> Bool {
        var pos = 0
        let n = path.count
        for seg in segments {
            guard pos < n, path[pos] == UInt8(ascii: "/") else { return false }
            pos += 1
            var end = pos
            while end < n && path[end] != UInt8(ascii: "/") { end += 1 }
            switch seg {
            case .param:
                if end == pos || params.count == RouteParams.capacity { return false }
                params.append(ByteRange(start: pathStart + Int32(pos), count: Int32(end - pos)))
            case .literal(let lit):
                if end - pos != lit.count { return false }
                for k in 0..<lit.count where path[pos + k] != lit[k] { return false }
            }
            pos = end
        }
        // A single trailing slash is tolerated ("/users/" = "/users"); "/" matches no segments.
        return pos == n || (pos == n - 1 && path[pos] == UInt8(ascii: "/") && !segments.isEmpty) || (segments.isEmpty && n == 1)
    }

    /// The handler for `method` on entry `i`; HEAD falls back to GET (the body is then omitted).
    func handler(_ i: Int, _ method: HTTPMethod) -> RouteHandler? {
        if let h = entries[i].handlers[Int(method.rawValue)] { return h }
        if method == .HEAD { return entries[i].handlers[Int(HTTPMethod.GET.rawValue)] }
        return nil
    }
}
