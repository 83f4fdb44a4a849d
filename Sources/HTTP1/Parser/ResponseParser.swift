/// Strict incremental parser of a response head, for the HTTP client. Same contract as
/// `RequestParser`; Host is not required and no body limit is applied to the head, since whether
/// a body follows depends on the request (see `ResponseHead.framing`).
public struct ResponseParser {
    public var limits: HTTPLimits
    var driver = HeadDriver(isRequest: false)
    var partial = ResponseHead()

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    public mutating func parseHead(_ buffer: UnsafeRawBufferPointer, head: inout ResponseHead,
                                   headers: HeaderTable) -> ParseStatus {
        switch driver.run(buffer, &partial, headers, limits) {
        case .incomplete:
            return .incomplete
        case .error(let code):
            return .error(ParseError(code))
        case .complete(let headLength):
            partial.headLength = headLength
            if let code = driver.semantics.finish(&partial) { return .error(ParseError(code)) }
            head = partial
            return .complete
        }
    }

    public mutating func reset() {
        driver.reset()
        partial = ResponseHead()
    }
}
