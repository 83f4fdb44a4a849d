#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension IDGenerator {
    /// Fills `buf` (at most 256 bytes) from the kernel; false if the call is refused.
    /// `getentropy` is glibc's wrapper of the `getrandom` system call (which Swift's Glibc
    /// module does not export); it blocks only until the pool is first initialised.
    static func fillFromKernel(_ buf: UnsafeMutableRawBufferPointer) -> Bool {
        getentropy(buf.baseAddress, buf.count) == 0
    }

    /// Only for when the kernel refuses (a seccomp filter, an old kernel): the clocks, the
    /// pid and a stack address still make loops and processes start apart.
    static func fallbackSeed() -> UInt64 {
        var wall = timespec()
        var mono = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        clock_gettime(CLOCK_MONOTONIC, &mono)
        var seed = UInt64(truncatingIfNeeded: wall.tv_sec) << 32 ^ UInt64(truncatingIfNeeded: wall.tv_nsec)
        seed ^= UInt64(truncatingIfNeeded: mono.tv_nsec) << 17 ^ UInt64(truncatingIfNeeded: getpid()) << 45
        withUnsafePointer(to: &mono) { seed ^= UInt64(UInt(bitPattern: $0)) }
        return seed
    }
}
