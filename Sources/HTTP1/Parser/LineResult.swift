/// Outcome of parsing one CRLF-terminated line that starts at a known offset.
///
/// Line parsers read only [start, end) and answer `.needMore` whenever they run out of bytes,
/// never an error, so a prefix of some input always gives `.needMore` or the same error as the
/// whole input.
enum LineResult {
    case needMore
    /// A field line; `next` is the offset after its CRLF.
    case field(name: ByteRange, value: ByteRange, next: Int)
    /// A start line or the empty line that ends a field section; `next` is the offset after its CRLF.
    case end(next: Int)
    case error(ParseErrorCode)
}

/// Where a line parser stopped when it ran out of bytes. The next call resumes there, so every
/// byte is examined once however the input is split: a slow sender cannot make us rescan a long
/// line on each read, and the outcome depends only on the bytes, never on how they arrived.
struct LineCursor {
    /// 0: the line has not been started; higher values are the parser's own.
    var phase: UInt8 = 0
    /// Next byte to examine when `phase` > 0.
    var pos = 0
    /// Offsets found earlier in the line (where the name ended, where the value began, ...).
    var mark1 = 0
    var mark2 = 0

    @inline(__always)
    mutating func suspend(_ phase: UInt8, at pos: Int) -> LineResult {
        self.phase = phase
        self.pos = pos
        return .needMore
    }
}
