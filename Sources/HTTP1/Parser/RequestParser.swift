/// Strict incremental parser of a request head (RFC 9112), zero-copy: results are byte ranges into
/// the caller's buffer. One per connection; after `.complete` or `.error` the next call starts a
/// new message.
public struct RequestParser {
    public var limits: HTTPLimits
    var driver = HeadDriver(isRequest: true)
    /// The head being filled; copied to the caller's `head` only on `.complete`.
    var partial = RequestHead()

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Parses the head at the start of `buffer`, which may hold less than a head, one head, or a
    /// head followed by body or pipelined bytes. Call again with a longer buffer holding the same
    /// bytes (it may have moved) as input arrives. Fields go to `headers`, which is cleared when a
    /// new head starts; `head` is written only on `.complete`.
    public mutating func parseHead(_ buffer: UnsafeRawBufferPointer, head: inout RequestHead,
                                   headers: HeaderTable) -> ParseStatus {
        switch driver.run(buffer, &partial, headers, limits) {
        case .incomplete:
            return .incomplete
        case .error(let code):
            return .error(ParseError(code))
        case .complete(let headLength):
            partial.headLength = headLength
            if let code = driver.semantics.finish(&partial, limits: limits) { return .error(ParseError(code)) }
            head = partial
            return .complete
        }
    }

    public mutating func reset() {
        driver.reset()
        partial = RequestHead()
    }
}
