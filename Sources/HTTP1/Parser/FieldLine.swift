/// `field-line = field-name ":" OWS field-value OWS CRLF` (RFC 9112 5), or the empty line that
/// ends the field section. Used for request and response heads and for chunked trailers.
enum FieldLine {
    static func parse(_ p: UnsafePointer<UInt8>, start: Int, end: Int) -> LineResult {
        guard start < end else { return .needMore }
        switch p[start] {
        case ASCII.cr:
            guard start + 1 < end else { return .needMore }
            return p[start + 1] == ASCII.lf ? .end(next: start + 2) : .error(.badHeaderValue)
        case ASCII.lf:
            return .error(.badHeaderValue)  // bare LF: only CRLF ends a line
        case ASCII.sp, ASCII.htab:
            return .error(.obsFold)  // also catches whitespace right after the start line (RFC 9112 2.2)
        default:
            break
        }
        let nameEnd = ASCII.skipToken(p, start, end)
        guard nameEnd < end else { return .needMore }
        switch p[nameEnd] {
        case UInt8(ascii: ":") where nameEnd > start:
            break
        case ASCII.sp, ASCII.htab:
            return .error(.whitespaceBeforeColon)
        default:
            return .error(.badHeaderName)
        }
        return parseValue(p, name: Span(start, nameEnd), from: nameEnd + 1, end: end)
    }

    @inline(__always)
    private static func parseValue(_ p: UnsafePointer<UInt8>, name: Span, from: Int, end: Int) -> LineResult {
        let t = ByteClass.table
        let valueStart = ASCII.skipOWS(p, from, end)
        var i = valueStart
        while i < end && t[Int(p[i])] & ByteClass.fieldValue != 0 { i += 1 }
        guard i < end else { return .needMore }
        // Anything but CR here is NUL, LF or another CTL: all forbidden in a value.
        guard p[i] == ASCII.cr else { return .error(.badHeaderValue) }
        guard i + 1 < end else { return .needMore }
        guard p[i + 1] == ASCII.lf else { return .error(.badHeaderValue) }
        // Trailing OWS is trimmed backwards: cheaper than tracking the last non-blank byte in the loop.
        var valueEnd = i
        while valueEnd > valueStart && ASCII.isOWS(p[valueEnd - 1]) { valueEnd -= 1 }
        return .field(name: name, value: Span(valueStart, valueEnd), next: i + 2)
    }
}
