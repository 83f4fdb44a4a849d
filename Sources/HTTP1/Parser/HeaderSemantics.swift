/// Framing and connection fields, folded in one field line at a time as the head is parsed.
/// Errors a single line can show are reported on that line; those needing the whole head
/// (missing Host, Content-Length with Transfer-Encoding, ...) by `finish`.
struct HeaderSemantics {
    var isRequest = true
    var hostCount = 0
    var host = ByteRange.empty
    var contentLength: Int64 = -1
    var hasTransferEncoding = false
    /// "chunked" was listed; nothing may follow it (RFC 9112 6.1).
    var chunkedListed = false
    /// A coding we do not implement (everything but chunked).
    var otherCoding = false
    var closeToken = false
    var keepAliveToken = false
    var expectContinue = false

    init(isRequest: Bool) { self.isRequest = isRequest }

    /// Dispatches on the name length first: most fields match none of the lengths, or fail on one compare.
    @inline(__always)
    mutating func apply(_ p: UnsafePointer<UInt8>, name: ByteRange, value: ByteRange) -> ParseErrorCode? {
        let n = p + Int(name.start)
        switch name.count {
        case 4 where isRequest && ASCII.equalsIgnoringCase(n, 4, "host"):
            return applyHost(p, value)
        case 6 where isRequest && ASCII.equalsIgnoringCase(n, 6, "expect"):
            // A single expectation is defined; its value is case-insensitive (RFC 9110 10.1.1).
            if ASCII.equalsIgnoringCase(p + Int(value.start), Int(value.count), "100-continue") { expectContinue = true }
            return nil
        case 10 where ASCII.equalsIgnoringCase(n, 10, "connection"):
            return applyConnection(p, value)
        case 14 where ASCII.equalsIgnoringCase(n, 14, "content-length"):
            return applyContentLength(p, value)
        case 17 where ASCII.equalsIgnoringCase(n, 17, "transfer-encoding"):
            return applyTransferEncoding(p, value)
        default:
            return nil
        }
    }

    private mutating func applyHost(_ p: UnsafePointer<UInt8>, _ value: ByteRange) -> ParseErrorCode? {
        hostCount += 1
        guard hostCount == 1 else { return .multipleHost }
        // Empty is allowed: it is what a client sends for a target without authority (RFC 9112 3.2).
        guard Authority.isValid(p, Int(value.start), value.end, allowEmpty: true, requirePort: false) else {
            return .badHeaderValue
        }
        host = value
        return nil
    }

    /// `Connection: 1#token`; only "close" and "keep-alive" mean anything to us.
    private mutating func applyConnection(_ p: UnsafePointer<UInt8>, _ value: ByteRange) -> ParseErrorCode? {
        var i = Int(value.start)
        let end = value.end
        while let tokenEnd = ListSyntax.nextElement(p, &i, end) {
            guard tokenEnd > i else { return .badHeaderValue }
            if ASCII.equalsIgnoringCase(p + i, tokenEnd - i, "close") { closeToken = true }
            if ASCII.equalsIgnoringCase(p + i, tokenEnd - i, "keep-alive") { keepAliveToken = true }
            i = tokenEnd
            guard ListSyntax.elementEnds(p, &i, end) else { return .badHeaderValue }
        }
        return nil
    }

    /// `1*DIGIT`, or a comma list of the same value repeated (RFC 9110 8.6); repeated fields alike.
    private mutating func applyContentLength(_ p: UnsafePointer<UInt8>, _ value: ByteRange) -> ParseErrorCode? {
        var i = Int(value.start)
        let end = value.end
        repeat {
            let digitsStart = i
            var n: Int64 = 0
            while i < end && ASCII.isDigit(p[i]) {
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(p[i] &- 0x30))
                guard !o1 && !o2 else { return .badContentLength }
                n = s
                i += 1
            }
            guard i > digitsStart else { return .badContentLength }
            guard contentLength < 0 || contentLength == n else { return .conflictingContentLength }
            contentLength = n
            i = ASCII.skipOWS(p, i, end)
            guard i == end || p[i] == UInt8(ascii: ",") else { return .badContentLength }
            if i < end { i = ASCII.skipOWS(p, i + 1, end) }
            else { break }
        } while true
        return nil
    }

    /// `1#transfer-coding`, over all Transfer-Encoding lines together. chunked must come last and
    /// once: anything after it is a 400; other codings are a 501 (`finish`), as we implement none.
    private mutating func applyTransferEncoding(_ p: UnsafePointer<UInt8>, _ value: ByteRange) -> ParseErrorCode? {
        hasTransferEncoding = true
        var i = Int(value.start)
        let end = value.end
        while let tokenEnd = ListSyntax.nextElement(p, &i, end) {
            guard tokenEnd > i, !chunkedListed else { return .badTransferEncoding }
            let isChunked = ASCII.equalsIgnoringCase(p + i, tokenEnd - i, "chunked")
            guard let paramsEnd = ListSyntax.skipParameters(p, tokenEnd, end, valueRequired: true) else {
                return .badTransferEncoding
            }
            if isChunked {
                guard paramsEnd == tokenEnd else { return .badTransferEncoding }  // chunked takes no parameters
                chunkedListed = true
            } else {
                otherCoding = true
            }
            i = paramsEnd
            guard ListSyntax.elementEnds(p, &i, end) else { return .badTransferEncoding }
        }
        return nil
    }
}

extension HeaderSemantics {
    /// Transfer-Encoding checks shared by requests and responses: the framing must be one we can read.
    func transferCodingError() -> ParseErrorCode? {
        guard hasTransferEncoding else { return nil }
        if contentLength >= 0 { return .contentLengthWithTransferEncoding }  // smuggling vector: reject, never guess
        if !chunkedListed && !otherCoding { return .badTransferEncoding }  // an empty list
        if otherCoding { return .unsupportedTransferEncoding }
        return nil
    }

    func finish(_ head: inout RequestHead, limits: HTTPLimits) -> ParseErrorCode? {
        let is11 = head.versionMinor == 1
        if is11 && hostCount == 0 { return .missingHost }  // RFC 9112 3.2
        // An HTTP/1.0 peer cannot know chunked; a TE there signals a confused or hostile sender (6.1).
        if !is11 && hasTransferEncoding { return .badTransferEncoding }
        if let e = transferCodingError() { return e }
        if contentLength > Int64(limits.maxBody) { return .bodyTooLarge }
        head.host = host
        head.contentLength = contentLength
        head.chunked = hasTransferEncoding
        head.keepAlive = is11 ? !closeToken : (keepAliveToken && !closeToken)
        head.expectContinue = is11 && expectContinue  // ignored in 1.0 requests (RFC 9110 10.1.1)
        return nil
    }

    func finish(_ head: inout ResponseHead) -> ParseErrorCode? {
        if let e = transferCodingError() { return e }
        let is11 = head.versionMinor == 1
        head.contentLength = contentLength
        head.chunked = hasTransferEncoding
        // A 1.0 response with Transfer-Encoding has faulty framing: read it, then close (RFC 9112 6.1).
        head.keepAlive = is11 ? !closeToken : (keepAliveToken && !closeToken && !hasTransferEncoding)
        return nil
    }
}
