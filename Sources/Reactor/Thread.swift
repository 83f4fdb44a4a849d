import CSystem
import Glibc

/// A bare pthread running a closure: loops and the exporter each get one.
/// Sendable by hand: `body` and `name` are read only by the new thread, `handle` only by the
/// thread that spawned it (join, detach).
public final class OSThread: @unchecked Sendable {
    private var handle = pthread_t()
    private let body: () -> Void
    private let name: String

    private init(_ name: String, _ body: @escaping () -> Void) {
        self.name = name
        self.body = body
    }

    /// Starts the thread. Throws when the system refuses one (EAGAIN: thread or memory limits):
    /// the caller decides whether that is fatal, and says why. `stackSize` 0 is the default.
    public static func spawn(name: String, stackSize: Int = 0, _ body: @escaping () -> Void) throws -> OSThread {
        let t = OSThread(name, body)
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if stackSize > 0 {
            let rc = pthread_attr_setstacksize(&attr, stackSize)
            guard rc == 0 else { throw SystemError("thread \(name): stack size \(stackSize): \(String(cString: strerror(rc)))") }
        }
        let box = Unmanaged.passRetained(t).toOpaque()
        let rc = pthread_create(&t.handle, &attr, { arg in
            let t = Unmanaged<OSThread>.fromOpaque(arg!).takeRetainedValue()
            cs_set_thread_name(String(t.name.prefix(15)))
            t.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<OSThread>.fromOpaque(box).release()   // the thread never took it
            throw SystemError("cannot start thread \(name): \(String(cString: strerror(rc)))")
        }
        return t
    }

    public func join() { pthread_join(handle, nil) }

    /// For a thread nobody joins: its resources go when it ends.
    public func detach() { pthread_detach(handle) }
}
