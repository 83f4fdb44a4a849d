/// One parsed request, as views into the connection's input buffer.
///
/// Invariant: the buffer is neither compacted nor grown while a request is in flight (the
/// connection stops reading until it is answered), so every view here stays valid until
/// `Responder.respond` is called, even from a later loop iteration.
public struct Request {
    /// The bytes of the head; spans in `head` and `headers` are offsets into it.
    public let raw: UnsafeRawBufferPointer
    public let head: RequestHead
    public let headers: HeaderTable
    public let body: UnsafeRawBufferPointer
    public let params: RouteParams
    /// The route pattern that matched, e.g. "/users/{id}" (for spans and metrics); "" for none.
    public let route: String
    /// The router's index of that route (-1 for none): a cheap key for per-route state.
    public let routeIndex: Int
    /// Its loop, SERVER span and deadline, set once at dispatch.
    public internal(set) var context: RequestContext

    @inline(__always)
    public func bytes(_ range: ByteRange) -> UnsafeRawBufferPointer { raw.slice(range) }

    public func string(_ range: ByteRange) -> String {
        String(decoding: bytes(range), as: UTF8.self)
    }

    public var method: HTTPMethod { head.method }
    public var path: UnsafeRawBufferPointer { bytes(head.path) }
    public var query: UnsafeRawBufferPointer { bytes(head.query) }

    /// The value of a header, by lowercase name.
    public func header(_ lowercaseName: StaticString) -> UnsafeRawBufferPointer? {
        headers.find(lowercaseName, in: raw).map { bytes($0) }
    }

    /// The raw value of the i-th route parameter (`{id}` in the pattern).
    public func param(_ i: Int) -> UnsafeRawBufferPointer { bytes(params[i]) }
}

/// Up to four `{name}` parameters of a route, as spans: a fixed tuple, so matching allocates nothing.
public struct RouteParams {
    public static let capacity = 4
    private var spans: (ByteRange, ByteRange, ByteRange, ByteRange) = (.empty, .empty, .empty, .empty)
    public private(set) var count = 0

    public init() {}

    mutating func append(_ s: ByteRange) {
        switch count {
        case 0: spans.0 = s
        case 1: spans.1 = s
        case 2: spans.2 = s
        default: spans.3 = s
        }
        count += 1
    }

    public subscript(i: Int) -> ByteRange {
        switch i {
        case 0: return spans.0
        case 1: return spans.1
        case 2: return spans.2
        default: return spans.3
        }
    }
}
