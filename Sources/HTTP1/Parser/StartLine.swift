/// What `HeadDriver` needs from the head type it fills: the start-line grammar and its limit error.
protocol StartLine {
    init()
    /// Error for a start line that does not end within its limit.
    static var lineTooLong: ParseErrorCode { get }
    /// Empty lines (CRLF) skipped before the start line (RFC 9112 2.2 allows it for requests).
    static var maxLeadingEmptyLines: Int { get }
    /// Parses the start line at `start` reading only [start, end), resumable through `c`.
    mutating func parseStartLine(_ p: UnsafePointer<UInt8>, start: Int, end: Int, _ c: inout LineCursor) -> LineResult
}

/// "HTTP/1." then one digit, at `v`: the only versions we speak. Anything else in those bytes,
/// including "HTTP/2.0" and "http/1.1", is `.badVersion`. Returns the minor digit's value.
enum VersionSyntax {
    enum Result { case needMore, minor(UInt8), error }

    @inline(__always)
    static func parse(_ p: UnsafePointer<UInt8>, _ v: Int, _ end: Int) -> Result {
        let prefix: StaticString = "HTTP/1."
        let q = prefix.utf8Start
        for k in 0..<7 {
            guard v + k < end else { return .needMore }
            guard p[v + k] == q[k] else { return .error }
        }
        guard v + 7 < end else { return .needMore }
        guard ASCII.isDigit(p[v + 7]) else { return .error }
        // 1.2 ... 1.9 are 1.x with a higher minor: answer them as 1.1 (RFC 9110 2.5).
        return .minor(p[v + 7] == UInt8(ascii: "0") ? 0 : 1)
    }
}
