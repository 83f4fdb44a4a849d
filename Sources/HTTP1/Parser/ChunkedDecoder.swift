/// Decodes a chunked body (RFC 9112 7.1) in place, like picohttpparser's phr_decode_chunked:
/// chunk data is moved down over the framing, so the body ends up contiguous at [0, decodedCount).
/// Resumable: call again with a longer buffer (same start, same bytes) as input arrives.
public struct ChunkedDecoder {
    enum Stage: UInt8 { case sizeLine, data, dataEnd, trailers, done, failed }

    /// A size line with extensions longer than this is rejected rather than buffered.
    static let maxSizeLine = 4096
    /// More hex digits than this can only be padding or an overflow attempt.
    static let maxSizeDigits = 16

    public let maxBody: Int
    public let maxTrailerBytes: Int
    /// Size lines, extensions and CRLFs together: they stay in the buffer until the message
    /// ends, so without this cap 64 KiB of data could arrive wrapped in 256 MB of framing.
    public let maxFramingBytes: Int
    /// Body bytes decoded so far, at [0, decodedCount) of the buffer.
    public private(set) var decodedCount = 0
    /// Input bytes consumed so far; after `.complete`, where the next message starts.
    public private(set) var consumed = 0
    var stage = Stage.sizeLine
    /// Data bytes of the current chunk not yet moved.
    var remaining = 0
    var trailerStart = 0
    var failure = ParseErrorCode.badChunkSize
    /// No LF in [consumed, sizeScanFrom) while in `.sizeLine`: where the LF search resumes.
    var sizeScanFrom = 0
    /// Progress inside the current trailer line.
    var cursor = LineCursor()

    /// `maxFramingBytes` defaults to the larger of 16 KiB and `maxBody`: room for thousands
    /// of chunks, but raw input stays within about twice the body limit plus the trailers.
    public init(maxBody: Int, maxTrailerBytes: Int = 16384, maxFramingBytes: Int? = nil) {
        self.maxBody = maxBody
        self.maxTrailerBytes = maxTrailerBytes
        self.maxFramingBytes = maxFramingBytes ?? Swift.max(16384, maxBody)
    }

    public mutating func reset() {
        self = ChunkedDecoder(maxBody: maxBody, maxTrailerBytes: maxTrailerBytes, maxFramingBytes: maxFramingBytes)
    }

    /// `buffer` starts at the first byte after the head. On `.complete` the body is
    /// [0, decodedCount) and the next message starts at `consumed`; trailers are checked and dropped.
    public mutating func decode(_ buffer: UnsafeMutableRawBufferPointer) -> ParseStatus {
        switch stage {
        case .done: return .complete
        case .failed: return .error(ParseError(failure))
        default: break
        }
        guard let base = buffer.baseAddress, buffer.count > consumed else { return .incomplete }
        // Invariant: decodedCount <= consumed <= buffer.count, and reads and writes stay below
        // buffer.count. Writes land below `consumed`, on framing bytes already parsed.
        let status = run(base.assumingMemoryBound(to: UInt8.self), buffer.count)
        if case .error(let e) = status {
            failure = e.code
            stage = .failed
        }
        return status
    }

    private mutating func run(_ p: UnsafeMutablePointer<UInt8>, _ count: Int) -> ParseStatus {
        while true {
            switch stage {
            case .sizeLine:
                switch sizeLine(p, count) {
                case .needMore: return .incomplete
                case .error(let e): return .error(ParseError(e))
                case .size(let n, let next):
                    // Everything consumed that is not data is framing.
                    guard next - decodedCount <= maxFramingBytes else {
                        return .error(ParseError(.chunkFramingTooLarge))
                    }
                    consumed = next
                    if n == 0 {
                        stage = .trailers
                        trailerStart = next
                    } else {
                        remaining = n
                        stage = .data
                    }
                }
            case .data:
                let n = Swift.min(remaining, count - consumed)
                guard n > 0 else { return .incomplete }
                // Overlapping move down (decodedCount < consumed): copyMemory is a memmove.
                UnsafeMutableRawPointer(p + decodedCount).copyMemory(from: p + consumed, byteCount: n)
                decodedCount += n
                consumed += n
                remaining -= n
                if remaining > 0 { return .incomplete }
                stage = .dataEnd
            case .dataEnd:
                guard consumed < count else { return .incomplete }
                guard p[consumed] == ASCII.cr else { return .error(ParseError(.badChunkTerminator)) }
                guard consumed + 1 < count else { return .incomplete }
                guard p[consumed + 1] == ASCII.lf else { return .error(ParseError(.badChunkTerminator)) }
                consumed += 2
                stage = .sizeLine
            case .trailers:
                if let status = trailerLine(p, count) { return status }
            case .done:
                return .complete
            case .failed:
                return .error(ParseError(failure))
            }
        }
    }
}

extension ChunkedDecoder {
    enum SizeLine { case needMore, size(Int, next: Int), error(ParseErrorCode) }

    /// `chunk-size [ chunk-ext ] CRLF`, parsed only once its LF is in: size lines are short and
    /// this keeps the extension grammar free of "ran out of bytes" states.
    mutating func sizeLine(_ p: UnsafePointer<UInt8>, _ count: Int) -> SizeLine {
        let limitEnd = consumed + ChunkedDecoder.maxSizeLine
        let end = Swift.min(count, limitEnd)
        var lf = Swift.max(consumed, sizeScanFrom)
        while lf < end && p[lf] != ASCII.lf { lf += 1 }
        guard lf < end else {
            sizeScanFrom = end  // no LF before `end`: do not search those bytes again
            return end == limitEnd ? .error(.badChunkSize) : .needMore
        }
        guard lf > consumed && p[lf - 1] == ASCII.cr else { return .error(.badChunkSize) }  // bare LF
        let lineEnd = lf - 1
        let budget = maxBody - decodedCount
        var i = consumed
        var size = 0
        while i < lineEnd && ByteClass.table[Int(p[i])] & ByteClass.hexDigit != 0 {
            guard i - consumed < ChunkedDecoder.maxSizeDigits else { return .error(.badChunkSize) }
            let (m, overflow) = size.multipliedReportingOverflow(by: 16)
            let v = ASCII.hexValue(p[i])
            guard !overflow && m <= budget - v else { return .error(.bodyTooLarge) }
            size = m + v
            i += 1
        }
        guard i > consumed else { return .error(.badChunkSize) }
        // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), then CRLF at once.
        guard ListSyntax.skipParameters(p, i, lineEnd, valueRequired: false) == lineEnd else {
            return .error(.badChunkSize)
        }
        return .size(size, next: lf + 1)
    }

    /// One trailer field line, checked like a header field and dropped; nil means "go on".
    mutating func trailerLine(_ p: UnsafePointer<UInt8>, _ count: Int) -> ParseStatus? {
        let limitEnd = trailerStart + maxTrailerBytes
        if consumed >= limitEnd { return .error(ParseError(.headersTooLarge)) }
        let end = Swift.min(count, limitEnd)
        switch FieldLine.parse(p, start: consumed, end: end, &cursor) {
        case .needMore:
            return end == limitEnd ? .error(ParseError(.headersTooLarge)) : .incomplete
        case .error:
            return .error(ParseError(.badTrailer))
        case .field(_, _, let next):
            consumed = next
            cursor = LineCursor()
            return nil
        case .end(let next):
            consumed = next
            stage = .done
            return .complete
        }
    }
}
