public enum ParseErrorCode: UInt8, Sendable {
    case requestLineTooLong, headersTooLarge, tooManyHeaders, bodyTooLarge
    case badRequestLine, badMethod, badTarget, badVersion
    case missingHost, multipleHost
    case contentLengthWithTransferEncoding, badContentLength, conflictingContentLength
    case unsupportedTransferEncoding, badTransferEncoding
    case obsFold, whitespaceBeforeColon, badHeaderName, badHeaderValue
    case badChunkSize, badChunkTerminator, badTrailer, chunkFramingTooLarge
    case badStatusLine, badStatus
}

public struct ParseError: Error, Equatable, Sendable {
    public var code: ParseErrorCode

    @inlinable
    public init(_ code: ParseErrorCode) { self.code = code }

    @inlinable
    public init(code: ParseErrorCode) { self.code = code }

    /// The response status a server sends for this error.
    public var status: UInt16 {
        switch code {
        case .requestLineTooLong: return 414
        case .headersTooLarge, .tooManyHeaders: return 431
        case .bodyTooLarge: return 413
        case .unsupportedTransferEncoding: return 501
        default: return 400
        }
    }

    /// Short human text, safe to put in a response body or a log line.
    public var message: StaticString {
        switch code {
        case .requestLineTooLong: return "request line too long"
        case .headersTooLarge: return "header section too large"
        case .tooManyHeaders: return "too many header fields"
        case .bodyTooLarge: return "body too large"
        case .badRequestLine: return "malformed request line"
        case .badMethod: return "invalid method"
        case .badTarget: return "invalid request target"
        case .badVersion: return "unsupported or malformed HTTP version"
        case .missingHost: return "missing Host header"
        case .multipleHost: return "more than one Host header"
        case .contentLengthWithTransferEncoding: return "both Content-Length and Transfer-Encoding"
        case .badContentLength: return "invalid Content-Length"
        case .conflictingContentLength: return "conflicting Content-Length values"
        case .unsupportedTransferEncoding: return "unsupported transfer coding"
        case .badTransferEncoding: return "invalid Transfer-Encoding"
        case .obsFold: return "obsolete line folding"
        case .whitespaceBeforeColon: return "whitespace between field name and colon"
        case .badHeaderName: return "invalid header field name"
        case .badHeaderValue: return "invalid header field value"
        case .badChunkSize: return "invalid chunk size line"
        case .badChunkTerminator: return "missing CRLF after chunk data"
        case .badTrailer: return "invalid trailer field"
        case .chunkFramingTooLarge: return "too much chunk framing for the body size"
        case .badStatusLine: return "malformed status line"
        case .badStatus: return "invalid status code"
        }
    }
}

public enum ParseStatus: Equatable, Sendable {
    case incomplete
    case complete
    case error(ParseError)
}
