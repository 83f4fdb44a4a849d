/// The incremental loop shared by the request and response parsers: start line, then field lines
/// until the empty line, one line at a time, with limits checked by position.
///
/// Parsed lines stay parsed: a later call with a longer buffer resumes at `lineStart`. Limits are
/// offsets, not buffer sizes, so the outcome never depends on how the input was split.
struct HeadDriver {
    enum Stage: UInt8 { case fresh, leading, startLine, fields }
    enum Outcome { case incomplete, complete(headLength: Int), error(ParseErrorCode) }

    var stage = Stage.fresh
    /// First byte not yet consumed by a complete line.
    var lineStart = 0
    var emptyLinesSkipped = 0
    /// Progress inside the line at `lineStart`.
    var cursor = LineCursor()
    var semantics: HeaderSemantics
    /// The table we appended to and its count when we last returned, to notice a caller that
    /// switched or cleared tables between calls (we then start over instead of trusting it).
    var table: ObjectIdentifier?
    var tableCount = 0

    init(isRequest: Bool) { semantics = HeaderSemantics(isRequest: isRequest) }

    mutating func reset() {
        self = HeadDriver(isRequest: semantics.isRequest)
    }

    mutating func run<Head: StartLine>(_ buffer: UnsafeRawBufferPointer, _ head: inout Head,
                                       _ headers: HeaderTable, _ limits: HTTPLimits) -> Outcome {
        if stage != .fresh && (table != ObjectIdentifier(headers) || tableCount != headers.count
                               || buffer.count < Swift.max(lineStart, cursor.pos)) {
            reset()
        }
        if stage == .fresh {
            reset()
            headers.removeAll()
            head = Head()
            stage = .leading
        }
        guard let base = buffer.baseAddress else { return suspend(headers) }
        // Invariant: p points at buffer.count readable bytes, and every read below is at an
        // offset checked against `end` <= buffer.count.
        let outcome = loop(base.assumingMemoryBound(to: UInt8.self), buffer.count, &head, headers, limits)
        switch outcome {
        case .incomplete: return suspend(headers)
        case .complete, .error: stage = .fresh
        }
        return outcome
    }

    private mutating func suspend(_ headers: HeaderTable) -> Outcome {
        table = ObjectIdentifier(headers)
        tableCount = headers.count
        return .incomplete
    }

    private mutating func loop<Head: StartLine>(_ p: UnsafePointer<UInt8>, _ count: Int, _ head: inout Head,
                                                _ headers: HeaderTable, _ limits: HTTPLimits) -> Outcome {
        while true {
            switch stage {
            case .fresh, .leading:
                guard lineStart < count else { return .incomplete }
                if p[lineStart] == ASCII.cr && emptyLinesSkipped < Head.maxLeadingEmptyLines {
                    guard lineStart + 1 < count else { return .incomplete }
                    if p[lineStart + 1] == ASCII.lf {
                        emptyLinesSkipped += 1
                        lineStart += 2
                        continue
                    }
                }
                stage = .startLine  // a CR without LF is left for the start-line grammar to reject
            case .startLine:
                let lineLimit = lineStart + limits.maxRequestLine
                let limitEnd = Swift.min(lineLimit, limits.maxHeaderBytes)
                let code = lineLimit <= limits.maxHeaderBytes ? Head.lineTooLong : .headersTooLarge
                switch parseLine(p, count, limitEnd, code, { head.parseStartLine(p, start: $0, end: $1, &$2) }) {
                case .needMore: return .incomplete
                case .error(let e): return .error(e)
                case .end(let next), .field(_, _, let next): lineStart = next; stage = .fields
                }
            case .fields:
                if let outcome = fieldLine(p, count, headers, limits) { return outcome }
            }
        }
    }

    /// Parses one field line; nil means "go on with the next line".
    @inline(__always)
    private mutating func fieldLine(_ p: UnsafePointer<UInt8>, _ count: Int,
                                    _ headers: HeaderTable, _ limits: HTTPLimits) -> Outcome? {
        if lineStart >= limits.maxHeaderBytes { return .error(.headersTooLarge) }
        guard lineStart < count else { return .incomplete }
        if headers.count >= Swift.min(limits.maxHeaderCount, headers.capacity) && p[lineStart] != ASCII.cr {
            return .error(.tooManyHeaders)
        }
        switch parseLine(p, count, limits.maxHeaderBytes, .headersTooLarge, { FieldLine.parse(p, start: $0, end: $1, &$2) }) {
        case .needMore:
            return .incomplete
        case .error(let e):
            return .error(e)
        case .end(let next):
            return .complete(headLength: next)
        case .field(let name, let value, let next):
            guard headers.append(name: name, value: value) else { return .error(.tooManyHeaders) }
            if let e = semantics.apply(p, name: name, value: value) { return .error(e) }
            lineStart = next
            return nil
        }
    }

    /// Runs `parse` on the line at `lineStart`, reading no further than `limitEnd`; a line that
    /// needs bytes past it is `limitCode`.
    @inline(__always)
    private mutating func parseLine(_ p: UnsafePointer<UInt8>, _ count: Int, _ limitEnd: Int,
                                    _ limitCode: ParseErrorCode,
                                    _ parse: (Int, Int, inout LineCursor) -> LineResult) -> LineResult {
        let end = Swift.min(count, limitEnd)
        let r = parse(lineStart, end, &cursor)
        if case .needMore = r {
            return end == limitEnd ? .error(limitCode) : r
        }
        cursor = LineCursor()
        return r
    }
}
