import Reactor

/// Reads one response out of a buffer that fills as bytes arrive: interim (1xx) heads are
/// skipped, then the body is framed by RFC 9112 6.3 (none, Content-Length, chunked, or until the
/// peer closes), each bounded by `limits.maxBody`. The loop client and the exporter's blocking
/// client both read through it, so they frame responses alike whatever drives their I/O.
public struct ResponseReader {
    public enum Progress: Equatable {
        /// More bytes are needed; call again when they are in the buffer.
        case incomplete
        /// The body is `body` of `buffer.readable`; the response ends at `consumed`. `reusable`:
        /// the connection may carry another request (keep-alive, and nothing after the response:
        /// on a request/response connection extra bytes mean the peer misbehaved).
        case complete(body: Range<Int>, consumed: Int, reusable: Bool)
        /// The peer closed before the response was whole.
        case closedEarly
        case invalid(ParseErrorCode)
    }

    public private(set) var head = ResponseHead()
    /// The fields of `head`, as ranges of `buffer.readable`.
    public let headers: HeaderTable
    private var parser: ResponseParser
    private var chunked: ChunkedDecoder
    private var headParsed = false
    private let maxBody: Int

    public init(limits: HTTPLimits) {
        parser = ResponseParser(limits: limits)
        headers = HeaderTable(capacity: limits.maxHeaderCount)
        chunked = ChunkedDecoder(maxBody: limits.maxBody, maxFramingBytes: limits.maxChunkFraming)
        maxBody = limits.maxBody
    }

    /// Before each response.
    public mutating func reset() {
        headParsed = false
        parser.reset()
        chunked.reset()
    }

    /// Tries to complete the response from `buffer.readable`, which starts at the response; an
    /// interim response is dropped by moving `buffer.readIndex` past it. `eof`: the peer has
    /// closed, so nothing more will arrive and only a close-delimited body can end well.
    public mutating func advance(_ buffer: IOBuffer, eof: Bool, requestWasHEAD: Bool) -> Progress {
        while !headParsed {
            switch parser.parseHead(UnsafeRawBufferPointer(buffer.readable), head: &head, headers: headers) {
            case .incomplete:
                return eof ? .closedEarly : .incomplete
            case .error(let e):
                return .invalid(e.code)
            case .complete:
                if head.status >= 100 && head.status < 200 {
                    buffer.readIndex += head.headLength
                    parser.reset()
                    continue
                }
                headParsed = true
            }
        }
        let region = buffer.readable
        let start = head.headLength
        switch head.framing(requestMethodWasHEAD: requestWasHEAD) {
        case .none:
            return complete(start..<start, consumed: start, of: region.count)
        case .contentLength(let n):
            // The parser leaves this limit to us: a HEAD or 304 may announce any length.
            if n > Int64(maxBody) { return .invalid(.bodyTooLarge) }
            let need = start + Int(n)
            if region.count >= need { return complete(start..<need, consumed: need, of: region.count) }
            if eof { return .closedEarly }
            buffer.reserve(need - region.count)
            return .incomplete
        case .chunked:
            switch chunked.decode(UnsafeMutableRawBufferPointer(rebasing: region[start...])) {
            case .complete:
                return complete(start..<(start + chunked.decodedCount), consumed: start + chunked.consumed,
                                of: region.count)
            case .error(let e):
                return .invalid(e.code)
            case .incomplete:
                return eof ? .closedEarly : .incomplete
            }
        case .untilClose:
            // Bounded like a Content-Length body: a peer that never closes cannot fill memory.
            if region.count - start > maxBody { return .invalid(.bodyTooLarge) }
            return eof ? .complete(body: start..<region.count, consumed: region.count, reusable: false) : .incomplete
        }
    }

    private func complete(_ body: Range<Int>, consumed: Int, of count: Int) -> Progress {
        .complete(body: body, consumed: consumed, reusable: head.keepAlive && consumed == count)
    }
}
