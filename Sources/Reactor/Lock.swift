import Glibc

/// A pthread mutex. Used instead of the Synchronization module's Mutex where ThreadSanitizer
/// must see the synchronization: TSan intercepts pthread_mutex_*, but the standard library's
/// Mutex is not instrumented, so TSan would report races that cannot happen.
/// Sendable by hand: the only state is the mutex, which exists to be shared between threads.
public final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always)
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
