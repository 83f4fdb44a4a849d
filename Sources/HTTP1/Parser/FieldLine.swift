/// `field-line = field-name ":" OWS field-value OWS CRLF` (RFC 9112 5), or the empty line that
/// ends the field section. Used for request and response heads and for chunked trailers.
enum FieldLine {
    private static let inName: UInt8 = 1, beforeValue: UInt8 = 2, inValue: UInt8 = 3

    /// Resumable through `c` (see `LineCursor`); the caller resets `c` once a line is done.
    static func parse(_ p: UnsafePointer<UInt8>, start: Int, end: Int, _ c: inout LineCursor) -> LineResult {
        var i = c.pos
        switch c.phase {
        case 0:
            i = start
            guard i < end else { return .needMore }
            switch p[i] {
            case ASCII.cr:
                guard i + 1 < end else { return .needMore }
                return p[i + 1] == ASCII.lf ? .end(next: i + 2) : .error(.badHeaderValue)
            case ASCII.lf:
                return .error(.badHeaderValue)  // bare LF: only CRLF ends a line
            case ASCII.sp, ASCII.htab:
                return .error(.obsFold)  // also catches whitespace right after the start line (RFC 9112 2.2)
            default:
                break
            }
            fallthrough
        case inName:
            i = ASCII.skipToken(p, i, end)
            guard i < end else { return c.suspend(inName, at: i) }
            switch p[i] {
            case UInt8(ascii: ":") where i > start:
                break
            case ASCII.sp, ASCII.htab:
                return .error(.whitespaceBeforeColon)
            default:
                return .error(.badHeaderName)
            }
            c.mark1 = i
            i += 1
            fallthrough
        case beforeValue:
            i = ASCII.skipOWS(p, i, end)
            guard i < end else { return c.suspend(beforeValue, at: i) }
            c.mark2 = i
            fallthrough
        default:
            return parseValue(p, start: start, end: end, from: i, &c)
        }
    }

    @inline(__always)
    private static func parseValue(_ p: UnsafePointer<UInt8>, start: Int, end: Int, from: Int,
                                   _ c: inout LineCursor) -> LineResult {
        let t = ByteClass.table
        var i = skipPlainValueBytes(p, from, end)
        while i < end && t[Int(p[i])] & ByteClass.fieldValue != 0 { i += 1 }
        guard i < end else { return c.suspend(inValue, at: i) }
        // Anything but CR here is NUL, LF or another CTL: all forbidden in a value.
        guard p[i] == ASCII.cr else { return .error(.badHeaderValue) }
        guard i + 1 < end else { return c.suspend(inValue, at: i) }
        guard p[i + 1] == ASCII.lf else { return .error(.badHeaderValue) }
        // Trailing OWS is trimmed backwards: cheaper than tracking the last non-blank byte in the loop.
        let valueStart = c.mark2
        var valueEnd = i
        while valueEnd > valueStart && ASCII.isOWS(p[valueEnd - 1]) { valueEnd -= 1 }
        return .field(name: ByteRange(start, c.mark1), value: ByteRange(valueStart, valueEnd), next: i + 2)
    }

    /// Skips 8 bytes at a time while none is a control byte or DEL (SWAR, Hacker's Delight
    /// "hasless"/"haszero"); the byte loop after it handles HTAB, the terminator and the tail.
    /// Values are most of a head's bytes, so this is where a wide step pays.
    @inline(__always)
    static func skipPlainValueBytes(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var i = from
        while i + 8 <= end {
            // Invariant: [i, i + 8) is inside the buffer; loadUnaligned has no alignment demand.
            let x = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            let below0x20 = (x &- ones &* 0x20) & ~x & highs
            let del = x ^ (ones &* 0x7F)
            let isDel = (del &- ones) & ~del & highs
            if below0x20 | isDel != 0 { break }
            i += 8
        }
        return i
    }
}
