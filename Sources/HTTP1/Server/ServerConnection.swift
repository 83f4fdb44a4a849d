import Glibc
import Reactor
import Tracing

/// One accepted connection: reads requests, hands each to its handler, writes responses in
/// order. One request is handled at a time; pipelined requests wait in the input buffer, and
/// their responses are written together when the batch is done.
public final class ServerConnection: IOHandler, SendCompletionHandler {
    enum State { case idle, head, body, handling, lingering, closed }

    let fd: Int32
    /// Strong: the context drops its reference when the connection closes (`remove`), so there
    /// is no lasting cycle, and a strong `let` costs nothing per access where `unowned` paid an
    /// atomic retain and release on every use (measured with callgrind, Perf/RESULTS.md).
    let context: ServerContext
    var slot = -1
    var input: IOBuffer?
    var output: IOBuffer?
    /// Output handed to the loop's `send` (io_uring), or its unsent rest waiting for
    /// writability: the kernel reads its memory until the completion, so responses made
    /// meanwhile go to `output`, behind it.
    var sending: IOBuffer?
    var sendInFlight = false
    /// A send came back short or with EAGAIN: the rest goes when the socket is writable.
    var awaitingWritable = false
    var parser: RequestParser
    var head = RequestHead()
    let headers: HeaderTable
    var chunked: ChunkedDecoder
    var state = State.idle
    var generation: UInt32 = 0
    var keepAlive = true
    var closeAfterWrite = false
    var lingerAfterWrite = false
    var inProcessInput = false
    /// The peer shut down its sending side: answer what was asked, then close.
    var peerClosed = false
    /// Parsing stopped at the output high-water mark with input left to parse: resume on drain.
    var parsePaused = false
    /// The generation of the request whose handler holds views into `input` (see `Request`):
    /// the buffer is not reused until that handler answers, even after a close or a timeout.
    var lentTo: UInt32?
    /// Input arrived while a request was being handled (pipelining, or the peer closing): read
    /// interest is dropped then, not on every request (see `updateInterest`).
    var inputWhileHandling = false
    /// Bytes read and discarded while lingering (capped by `ServerConfig.lingerMaxBytes`).
    var lingered = 0
    var consumeOnResponse = 0
    var summary: RequestSummary?      // set while a traced request is in flight
    var span: Span?                   // that request's SERVER span
    /// Made with the connection, not lazily: a `lazy var` cost a check and a retain at each of
    /// the two arms a request (callgrind).
    let timer = LoopTimer {}

    init(fd: Int32, context: ServerContext) {
        self.fd = fd
        self.context = context
        loop = context.loop
        let limits = context.config.limits
        parser = RequestParser(limits: limits)
        headers = HeaderTable(capacity: limits.maxHeaderCount)
        chunked = ChunkedDecoder(maxBody: limits.maxBody, maxTrailerBytes: limits.maxHeaderBytes,
                                 maxFramingBytes: limits.maxChunkFraming)
        timer.action = { [unowned self] in self.timedOut() }
    }

    deinit {
        if lentTo != nil { context.inFlight -= 1 }   // a handler dropped its responder unanswered
    }

    /// Stored, not `context.loop` each time: a computed property hands back a reference the
    /// caller must release, and the loop is reached several times a request (callgrind).
    let loop: EventLoop

    public func ioReady(_ events: IOEvents) {
        // A reset while handling: nothing left to read matters, and nobody is left to answer.
        if events.contains(.error) && (state == .handling || !events.contains(.readable)) { return close() }
        if events.contains(.writable) {
            awaitingWritable = false
            flush()
        }
        if state != .closed && (events.contains(.readable) || events.contains(.hangup)) { readable() }
    }

    func isPending(_ g: UInt32) -> Bool { state == .handling && g == generation }

    // MARK: reading

    private func readable() {
        if state == .lingering { return drainLinger() }
        guard wantsInput, !peerClosed else {
            if state == .handling && !inputWhileHandling {
                inputWhileHandling = true   // level-triggered: stop hearing about it until the answer
                updateInterest()
            }
            return
        }
        let buf = input ?? context.loop.buffers.take()
        input = buf
        if buf.writableCount == 0 {
            // Only an incomplete head or body gets here (complete requests were consumed),
            // so no request views exist and memory may move.
            buf.reserve(4096)
        }
        let n = buf.read(from: fd)
        if n > 0 { return processInput() }
        if n == 0 {
            // A half-close (shutdown(SHUT_WR) after pipelining): the requests already read
            // still get their responses; flush closes once they are written.
            peerClosed = true
            return flush()
        }
        if errno != EAGAIN && errno != EINTR { close() }
    }

    /// Reading makes sense while no request is being handled and output is draining.
    var wantsInput: Bool {
        switch state {
        case .idle, .head, .body: return pendingOutput < context.config.outputHighWater && !closeAfterWrite
        case .lingering: return true
        case .handling, .closed: return false
        }
    }

    var pendingOutput: Int { (output?.readableCount ?? 0) + (sending?.readableCount ?? 0) }

    /// Parses and dispatches every complete request in the input, then flushes once.
    func processInput() {
        inProcessInput = true
        parsePaused = false
        while state != .lingering, let buf = input, buf.readableCount > 0 {
            guard wantsInput else {
                // Back-pressure, not "need more bytes": flush resumes parsing once output drains.
                parsePaused = state != .handling && state != .closed
                break
            }
            if !step(buf) { break }
        }
        inProcessInput = false
        flush()
    }

    /// Advances the current request by what the buffer holds; false when more input is needed
    /// or a request is now being handled.
    private func step(_ buf: IOBuffer) -> Bool {
        let region = buf.readable
        if state == .idle || state == .head {
            switch parser.parseHead(UnsafeRawBufferPointer(region), head: &head, headers: headers) {
            case .incomplete:
                if state == .idle { enter(.head, timeout: context.config.headerTimeout) }
                return false
            case .error(let e):
                fail(e.status, e.message)
                return false
            case .complete:
                if !head.chunked && head.contentLength <= 0 {
                    dispatch(body: .empty, consumed: head.headLength)
                    return state != .handling
                }
                chunked.reset()
                enter(.body, timeout: context.config.bodyTimeout)
                if head.expectContinue && region.count == head.headLength {
                    output(to: { $0.append("HTTP/1.1 100 Continue\r\n\r\n") })
                }
            }
        }
        return stepBody(buf, region)
    }

    private func stepBody(_ buf: IOBuffer, _ region: UnsafeMutableRawBufferPointer) -> Bool {
        let start = head.headLength
        if head.chunked {
            let rest = UnsafeMutableRawBufferPointer(rebasing: region[start...])
            switch chunked.decode(rest) {
            case .incomplete:
                return false
            case .error(let e):
                fail(e.status, e.message)
                return false
            case .complete:
                dispatch(body: ByteRange(start: Int32(start), count: Int32(chunked.decodedCount)),
                         consumed: start + chunked.consumed)
                return state != .handling
            }
        }
        let need = start + Int(head.contentLength)
        if region.count < need {
            buf.reserve(need - region.count)   // no views exist yet: the request is incomplete
            return false
        }
        dispatch(body: ByteRange(start: Int32(start), count: Int32(head.contentLength)), consumed: need)
        return state != .handling
    }

    func enter(_ s: State, timeout: TimeAmount) {
        enter(s, until: loop.now + timeout)
    }

    func enter(_ s: State, until deadline: Instant) {
        state = s
        loop.timers.arm(timer, at: deadline)
    }
}
