import CSystem
import Glibc

/// A bare pthread running a closure: loops and the exporter each get one.
public final class OSThread: @unchecked Sendable {
    private var handle = pthread_t()
    private let body: () -> Void
    private let name: String

    private init(_ name: String, _ body: @escaping () -> Void) {
        self.name = name
        self.body = body
    }

    public static func spawn(name: String, _ body: @escaping () -> Void) -> OSThread {
        let t = OSThread(name, body)
        let box = Unmanaged.passRetained(t).toOpaque()
        let rc = pthread_create(&t.handle, nil, { arg in
            let t = Unmanaged<OSThread>.fromOpaque(arg!).takeRetainedValue()
            cs_set_thread_name(String(t.name.prefix(15)))
            t.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return t
    }

    public func join() { pthread_join(handle, nil) }

    /// For a thread nobody joins: its resources go when it ends.
    public func detach() { pthread_detach(handle) }
}
