import Glibc

/// Copies and comparisons of a few bytes, done inline. `copyMemory` and `memcmp` are calls
/// into libc through the PLT, and for the short keys, names and values that the encoders copy
/// and the decoders compare (callgrind: about 190 copies of an order-service request, most
/// under 16 bytes) the call and the registers saved around it cost more than the work.
public enum ShortBytes {
    /// Copies `n` bytes from `src` to `dst`; the two regions do not overlap. Up to 16 bytes go
    /// as two loads and two stores of a word that overlap in the middle; more go to memcpy.
    @inlinable @inline(__always)
    public static func copy(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ n: Int) {
        if n >= 8 {
            guard n <= 16 else { return dst.copyMemory(from: src, byteCount: n) }
            let head = src.loadUnaligned(as: UInt64.self)
            let tail = src.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            dst.storeBytes(of: head, as: UInt64.self)
            dst.storeBytes(of: tail, toByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 {
            let head = src.loadUnaligned(as: UInt32.self)
            let tail = src.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
            dst.storeBytes(of: head, as: UInt32.self)
            dst.storeBytes(of: tail, toByteOffset: n &- 4, as: UInt32.self)
        } else if n > 0 {
            // 1, 2 or 3 bytes: the first, the middle and the last (some of them the same byte).
            let first = src.load(as: UInt8.self)
            let middle = src.load(fromByteOffset: n &>> 1, as: UInt8.self)
            let last = src.load(fromByteOffset: n &- 1, as: UInt8.self)
            dst.storeBytes(of: first, as: UInt8.self)
            dst.storeBytes(of: middle, toByteOffset: n &>> 1, as: UInt8.self)
            dst.storeBytes(of: last, toByteOffset: n &- 1, as: UInt8.self)
        }
    }

    /// Whether `a[0..<n]` and `b[0..<n]` are the same bytes. Up to 16 bytes: two loads of a
    /// word from each, overlapping in the middle; more: memcmp.
    @inlinable @inline(__always)
    public static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        if n >= 8 {
            guard n <= 16 else { return memcmp(a, b, n) == 0 }
            return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
                && a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        }
        if n >= 4 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
        }
        var i = 0
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i &+= 1
        }
        return true
    }
}
