/// Grammar pieces of RFC 9110 5.6 over a complete byte range (a trimmed field value or a chunk
/// size line without its CRLF): comma lists, parameters and quoted-strings.
enum ListSyntax {
    /// Next element of `#token`-style lists: skips OWS and empty elements (RFC 9110 5.6.1 says to
    /// ignore them), then returns the end of a token starting at `i`, or nil at the end of the range.
    /// A returned token may be empty when a non-token byte follows; callers reject that.
    @inline(__always)
    static func nextElement(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int) -> Int? {
        while i < end && (ASCII.isOWS(p[i]) || p[i] == UInt8(ascii: ",")) { i += 1 }
        guard i < end else { return nil }
        return ASCII.skipToken(p, i, end)
    }

    /// After an element: OWS, then "," or the end of the range.
    @inline(__always)
    static func elementEnds(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int) -> Bool {
        i = ASCII.skipOWS(p, i, end)
        return i == end || p[i] == UInt8(ascii: ",")
    }

    /// Skips `*( OWS ";" OWS name [ OWS "=" OWS ( token / quoted-string ) ] )`, the shape shared by
    /// transfer-coding parameters (value required) and chunk extensions (value optional).
    /// Returns the offset after the last parameter (whitespace not followed by ';' is left
    /// unconsumed), or nil when malformed.
    static func skipParameters(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int, valueRequired: Bool) -> Int? {
        var i = from
        while true {
            var j = ASCII.skipOWS(p, i, end)
            guard j < end && p[j] == UInt8(ascii: ";") else { return i }
            j = ASCII.skipOWS(p, j + 1, end)
            let nameEnd = ASCII.skipToken(p, j, end)
            guard nameEnd > j else { return nil }
            let k = ASCII.skipOWS(p, nameEnd, end)
            if k < end && p[k] == UInt8(ascii: "=") {
                guard let v = skipValue(p, ASCII.skipOWS(p, k + 1, end), end) else { return nil }
                i = v
            } else {
                guard !valueRequired else { return nil }
                i = nameEnd
            }
        }
    }

    /// token / quoted-string starting at `i`; returns the offset after it.
    private static func skipValue(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int? {
        guard i < end else { return nil }
        if p[i] != UInt8(ascii: "\"") {
            let e = ASCII.skipToken(p, i, end)
            return e > i ? e : nil
        }
        return skipQuotedString(p, i, end)
    }

    /// `DQUOTE *( qdtext / quoted-pair ) DQUOTE` with `i` at the opening quote.
    static func skipQuotedString(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int? {
        let t = ByteClass.table
        var i = from + 1
        while i < end {
            let b = p[i]
            if b == UInt8(ascii: "\"") { return i + 1 }
            if b == UInt8(ascii: "\\") {
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): the field-value class exactly.
                guard i + 1 < end && t[Int(p[i + 1])] & ByteClass.fieldValue != 0 else { return nil }
                i += 2
                continue
            }
            guard t[Int(b)] & ByteClass.fieldValue != 0 else { return nil }
            i += 1
        }
        return nil
    }
}
