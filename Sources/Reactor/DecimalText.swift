/// The decimal digits of an integer, written straight into memory the caller has reserved: the
/// one routine behind `IOBuffer.append(decimal:)`, PostgreSQL's integer parameters and array
/// elements, and the services' JSON numbers. No String is made for the number.
public enum DecimalText {
    /// The most bytes `write` produces: a sign and Int64's 19 digits.
    public static let maxBytes = 20

    /// Writes `v` at `p`, which has `maxBytes` writable bytes; returns how many it wrote.
    @inlinable
    public static func write(_ v: Int64, to p: UnsafeMutableRawPointer) -> Int {
        var start = 0
        if v < 0 {
            p.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self)
            start = 1
        }
        var m = v.magnitude
        // The number of digits first, so each digit is stored in its place, last to first.
        var digits = 1
        var scale: UInt64 = 10
        while digits < 19 && m >= scale { digits &+= 1; scale = scale &* 10 }
        let end = start &+ digits
        var i = end
        repeat {
            i &-= 1
            p.storeBytes(of: UInt8(truncatingIfNeeded: m % 10) &+ 0x30, toByteOffset: i, as: UInt8.self)
            m /= 10
        } while m > 0
        return end
    }
}
