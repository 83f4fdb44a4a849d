extension TraceState {
    /// Validates and combines all `tracestate` header values of a request, in order, as if
    /// they were one value joined with commas. Nil means the whole list must be discarded:
    /// a malformed member, a repeated key, or more than 32 members.
    public static func parse(_ headers: [UnsafeRawBufferPointer]) -> TraceState? {
        var state = TraceState()
        for header in headers {
            guard state.appendMembers(of: header) else { return nil }
        }
        return state
    }

    public static func parse(_ header: UnsafeRawBufferPointer) -> TraceState? {
        var state = TraceState()
        return state.appendMembers(of: header) ? state : nil
    }

    /// Parses one header value given as a string, e.g. from configuration or a test.
    public init?(_ headerValue: String) {
        var s = headerValue
        guard let state = s.withUTF8({ TraceState.parse(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = state
    }

    /// Empty and whitespace-only members are skipped: the spec allows them because
    /// joining several headers (or a vendor's `, `) produces them. They do not count toward
    /// the 32: they carry nothing and vanish from the list we send.
    mutating func appendMembers(of p: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        while start <= p.count {
            var end = start
            while end < p.count, p[end] != TraceStateGrammar.comma { end += 1 }
            let member = TraceStateGrammar.trimOWS(p, start..<end)
            if !member.isEmpty, !appendMember(p, member) { return false }
            start = end + 1
        }
        return true
    }

    private mutating func appendMember(_ p: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        guard count < TraceState.maxMembers,
              let eq = r.first(where: { p[$0] == TraceStateGrammar.equals }),
              TraceStateGrammar.isValidKey(p, r.lowerBound..<eq),
              TraceStateGrammar.isValidValue(p, (eq + 1)..<r.upperBound),
              member(withKey: UnsafeRawBufferPointer(rebasing: p[r.lowerBound..<eq])) == nil
        else { return false }
        if count > 0 { bytes.append(TraceStateGrammar.comma) }
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[r]))
        count += 1
        return true
    }
}
