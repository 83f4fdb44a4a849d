/// Protobuf's base-128 varint (protobuf.dev/programming-guides/encoding/#varints), written
/// into memory the caller has sized: the span records' encoder (Tracing) and the exporter's
/// (OTLPExport) share this one definition, with the other byte helpers here.
public enum Varint {
    /// Bytes of `v`'s varint (1...10).
    @inlinable @inline(__always)
    public static func size(_ v: UInt64) -> Int {
        v < 0x80 ? 1 : ((64 &- v.leadingZeroBitCount) &+ 6) / 7
    }

    /// Writes `v` at `p`, which has room for `size(v)` bytes; returns that size.
    @inlinable @inline(__always)
    public static func put(_ p: UnsafeMutablePointer<UInt8>, _ v: UInt64) -> Int {
        var rest = v, i = 0
        while rest >= 0x80 {
            p[i] = UInt8(truncatingIfNeeded: rest) | 0x80
            rest &>>= 7
            i &+= 1
        }
        p[i] = UInt8(truncatingIfNeeded: rest)
        return i &+ 1
    }
}
