/// The `trace-flags` byte of `traceparent`.
public struct TraceFlags: OptionSet, Hashable, Sendable, BitwiseCopyable {
    public var rawValue: UInt8

    @inlinable
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The caller may have recorded this trace.
    public static let sampled = TraceFlags(rawValue: 0x01)
    /// Level 2: the low 56 bits of the trace id are random, so ratio sampling on them is fair.
    public static let random = TraceFlags(rawValue: 0x02)

    /// Every flag this implementation understands. The spec reserves the other bits and
    /// requires senders to set them to zero, so they are masked off on read and never written.
    public static let known = TraceFlags(rawValue: 0x03)
}
