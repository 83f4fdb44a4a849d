/// Outcome of parsing one CRLF-terminated line that starts at a known offset.
///
/// Line parsers read only [start, end) and answer `.needMore` whenever they run out of bytes,
/// never an error, so a prefix of some input always gives `.needMore` or the same error as the
/// whole input. Any LF either ends the line or is an error, so `.needMore` also means there is
/// no LF in [start, end): `LineGuard` relies on that.
enum LineResult {
    case needMore
    /// A field line; `next` is the offset after its CRLF.
    case field(name: Span, value: Span, next: Int)
    /// A start line or the empty line that ends a field section; `next` is the offset after its CRLF.
    case end(next: Int)
    case error(ParseErrorCode)
}

/// Keeps a slow sender from making us rescan a long line on every read (quadratic work):
/// once a line has come up short, it is parsed again only after its LF has arrived.
struct LineGuard {
    /// When greater than the line's start: no LF in [lineStart, scanFrom).
    var scanFrom = 0

    /// False when the line at `lineStart` cannot be complete within [lineStart, end) and is not
    /// cut off by its limit either, so parsing it again would only answer `.needMore`.
    @inline(__always)
    mutating func worthParsing(_ p: UnsafePointer<UInt8>, lineStart: Int, end: Int, limitEnd: Int) -> Bool {
        guard scanFrom > lineStart else { return true }
        var i = scanFrom
        while i < end && p[i] != ASCII.lf { i += 1 }
        if i < end || end == limitEnd { return true }
        scanFrom = end
        return false
    }

    /// After `.needMore` from a parse that read up to `end`.
    @inline(__always)
    mutating func cameUpShort(at end: Int) { scanFrom = end }
}
