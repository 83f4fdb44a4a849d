/// A validated `tracestate` list.
///
/// It keeps the list as one normalized header value (`k1=v1,k2=v2`: no optional whitespace,
/// no empty members), so propagating it is a single copy and the members are found by scanning.
/// Copying a `TraceState` shares the buffer; only parsing and `updating` allocate.
public struct TraceState: Hashable, Sendable {
    /// The header value to send, as bytes.
    public internal(set) var bytes: [UInt8]
    /// The number of list members.
    public internal(set) var count: Int

    /// The spec's limit; a longer incoming list is discarded, `updating` drops from the end.
    public static let maxMembers = 32

    public init() {
        bytes = []
        count = 0
    }

    public static let empty = TraceState()

    /// True when there is nothing to send: the spec asks senders to omit an empty `tracestate`.
    public var isEmpty: Bool { count == 0 }

    /// The value for the `tracestate` header.
    public var headerValue: String { String(decoding: bytes, as: UTF8.self) }

    /// The members in order, decoded (allocates; for inspection, not the request path).
    public var entries: [(key: String, value: String)] {
        members.map { m in
            (String(decoding: bytes[m.key], as: UTF8.self), String(decoding: bytes[m.value], as: UTF8.self))
        }
    }

    public func value(forKey key: String) -> String? {
        var key = key
        return key.withUTF8 { k -> String? in
            guard let m = member(withKey: UnsafeRawBufferPointer(k)) else { return nil }
            return String(decoding: bytes[m.value], as: UTF8.self)
        }
    }

    func member(withKey key: UnsafeRawBufferPointer) -> TraceStateMembers.Element? {
        members.first { bytes[$0.key].elementsEqual(key) }
    }

    var members: TraceStateMembers { TraceStateMembers(bytes: bytes) }
}

/// The members of a normalized list as index ranges into it.
struct TraceStateMembers: Sequence, IteratorProtocol {
    typealias Element = (whole: Range<Int>, key: Range<Int>, value: Range<Int>)

    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> Element? {
        guard position < bytes.count else { return nil }
        let start = position
        var eq = -1
        var i = start
        while i < bytes.count, bytes[i] != UInt8(ascii: ",") {
            if eq < 0, bytes[i] == UInt8(ascii: "=") { eq = i }
            i += 1
        }
        position = i + 1
        return (start..<i, start..<eq, (eq + 1)..<i)
    }
}
