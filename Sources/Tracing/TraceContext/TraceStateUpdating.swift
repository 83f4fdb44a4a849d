extension TraceState {
    /// The list with `key=value` as its first member, as the spec requires of a vendor's own
    /// entry: an existing member with that key is removed, and members past 32 are dropped
    /// from the end. Nil when the key or the value breaks the grammar.
    public func updating(key: String, value: String) -> TraceState? {
        var key = key
        var value = value
        return key.withUTF8 { k in
            value.withUTF8 { v in
                updating(key: UnsafeRawBufferPointer(k), value: UnsafeRawBufferPointer(v))
            }
        }
    }

    public func updating(key k: UnsafeRawBufferPointer, value v: UnsafeRawBufferPointer) -> TraceState? {
        guard TraceStateGrammar.isValidKey(k, 0..<k.count),
              TraceStateGrammar.isValidValue(v, 0..<v.count) else { return nil }
        var out = TraceState()
        out.bytes.reserveCapacity(k.count + 1 + v.count + 1 + bytes.count)
        out.bytes.append(contentsOf: k)
        out.bytes.append(TraceStateGrammar.equals)
        out.bytes.append(contentsOf: v)
        out.count = 1
        for m in members where out.count < TraceState.maxMembers && !bytes[m.key].elementsEqual(k) {
            out.appendNormalized(bytes[m.whole])
        }
        return out
    }

    /// The list without the member for `key` (the spec lets a vendor delete its own entry).
    public func removing(key: String) -> TraceState {
        var key = key
        return key.withUTF8 { k in
            var out = TraceState()
            for m in members where !bytes[m.key].elementsEqual(UnsafeRawBufferPointer(k)) {
                out.appendNormalized(bytes[m.whole])
            }
            return out
        }
    }

    /// Appends a member already known to be valid and unique.
    private mutating func appendNormalized(_ member: ArraySlice<UInt8>) {
        if count > 0 { bytes.append(TraceStateGrammar.comma) }
        bytes.append(contentsOf: member)
        count += 1
    }
}
