import Glibc
import XCTest
@testable import Metrics

/// Helpers for the metrics tests: real threads, child processes, exposition parsing.
enum MetricsTestSupport {
    static func render(_ r: MetricsRegistry, openMetrics: Bool = false) -> String {
        var out: [UInt8] = []
        if openMetrics { r.renderOpenMetrics(into: &out) } else { r.renderPrometheus(into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Unlabelled samples of a text exposition, by name.
    static func plainSamples(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, !parts[0].contains("{") { values[String(parts[0])] = Double(parts[1]) }
        }
        return values
    }

    static func nowSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }
}

// MARK: - Threads

private final class MetricsThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

enum MetricsTestThreads {
    /// Starts a real OS thread running `body`.
    static func start(_ body: @escaping () -> Void) -> pthread_t {
        let box = Unmanaged.passRetained(MetricsThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            Unmanaged<MetricsThreadBody>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return thread
    }

    static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }
}

/// A value shared between test threads, guarded by a pthread mutex.
final class MetricsLocked<Value>: @unchecked Sendable {
    private var value: Value
    private var mutex = pthread_mutex_t()

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    func with<R>(_ body: (inout Value) -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body(&value)
    }
}
