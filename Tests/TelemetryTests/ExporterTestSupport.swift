// Helpers for the span exporter tests: the Python OTLP receiver (Tests/otlp/receiver.py) as a child
// process (posix_spawn + waitpid/kill: Foundation.Process hangs on inherited pipes here), a span
// queue standing in for the rings, and span factories.

import Foundation
import Glibc
import Synchronization
import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

enum ExporterTestSupport {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// CI set (to anything but "" / "false" / "0"): never skip, fail instead.
    static var isCI: Bool {
        guard let v = getenv("CI").map({ String(cString: $0) }) else { return false }
        return !v.isEmpty && v != "false" && v != "0"
    }

    // Files and directories: the OTLP tests' helpers, shared.
    static func repoRoot() -> String { OTLPTestSupport.repoRoot() }
    static func makeTempDir() throws -> String { try OTLPTestSupport.makeTempDir() }
    static func removeTree(_ path: String) { OTLPTestSupport.removeTree(path) }
    static func readText(_ path: String) -> String { OTLPTestSupport.readText(path) }

    /// Starts `argv` (argv[0] a path) in its own process group, stdin /dev/null, stdout and stderr to files.
    static func spawn(_ argv: [String], stdout: String, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attr = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
        let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cargs, environ)
        guard rc == 0 else { throw Failure(description: "posix_spawn \(argv[0]): error \(rc)") }
        return pid
    }

    /// Waits for `pid` at most `timeout` seconds (then kills its group); the exit status, or 128 + signal.
    static func wait(_ pid: pid_t, timeout: Double, what: String) throws -> Int32 {
        var status: Int32 = 0
        let end = monotonicSeconds() + timeout
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "waitpid: errno \(errno)")
            }
            if monotonicSeconds() >= end {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw Failure(description: "\(what) did not finish within \(Int(timeout)) s")
            }
            usleep(20_000)
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    static func run(_ argv: [String], stdout: String, stderr: String, timeout: Double) throws -> Int32 {
        try wait(spawn(argv, stdout: stdout, stderr: stderr), timeout: timeout, what: argv.joined(separator: " "))
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private static let venvLock = Mutex<String?>(nil)

    /// The python of the repo's OTLP venv (scripts/otlp-venv.sh makes it on first use). Skips when
    /// python3 or its venv module is missing, unless CI is set: then that is a failure.
    static func venvPython() throws -> String {
        if let p = venvLock.withLock({ $0 }) { return p }
        let dir = try makeTempDir()
        defer { removeTree(dir) }
        let script = "\(repoRoot())/scripts/otlp-venv.sh"
        let out = "\(dir)/venv.out", err = "\(dir)/venv.err"
        let status: Int32
        do {
            status = try run(["/bin/bash", script], stdout: out, stderr: err, timeout: 900)
        } catch {
            if isCI { throw error }
            throw XCTSkip("cannot run \(script): \(error)")
        }
        if status == 3 && !isCI {
            throw XCTSkip("python3 with venv is unavailable: \(readText(err))")
        }
        guard status == 0 else {
            throw Failure(description: "\(script) exited \(status): \(readText(err))")
        }
        guard let last = readText(out).split(separator: "\n").last, last.hasPrefix("/") else {
            throw Failure(description: "\(script) printed no python path: \(readText(out))")
        }
        let p = String(last)
        venvLock.withLock { $0 = p }
        return p
    }

    /// A port on 127.0.0.1 that nothing listens on (bound, then closed).
    static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = 0
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    // MARK: spans

    static func span(_ i: Int, name: String? = nil, attributes: [Attribute] = []) -> ExportSpan {
        ExportSpan(traceID: (0x0102_0304_0506_0708, UInt64(i) + 1), spanID: 0x1000 + UInt64(i),
                   parentSpanID: i % 2 == 0 ? 0 : 0x2000 + UInt64(i), name: name ?? "span-\(i)",
                   kind: .server, startUnixNano: 1_700_000_000_000_000_000 + UInt64(i),
                   endUnixNano: 1_700_000_000_000_000_000 + UInt64(i) + 1000, attributes: attributes)
    }

    static func spans(_ range: Range<Int>) -> [ExportSpan] { range.map { span($0) } }

    static func resource(_ name: String = "test-service") -> ExportResource {
        ExportResource(attributes: [Attribute("service.name", name), Attribute("service.version", "1.2.3")])
    }

    /// A config sending to the receiver, with test-friendly timings.
    static func config(port: Int) -> ExporterConfig {
        var c = ExporterConfig()
        c.endpoint = ("127.0.0.1", port, "/v1/traces")
        c.scheduleDelayNanos = 20_000_000
        c.timeoutNanos = 5_000_000_000
        c.exportTimeoutNanos = 20_000_000_000
        return c
    }
}

/// Stands in for the span rings: producers push, the exporter's drain takes.
final class ExporterSpanQueue: @unchecked Sendable {
    private let items = Mutex<[ExportSpan]>([])
    let capacity: Int
    let dropped = Atomic<Int>(0)

    init(capacity: Int = 1 << 20) { self.capacity = capacity }

    /// Never waits for the exporter beyond the lock's few instructions; drops when full.
    func push(_ spans: [ExportSpan]) {
        items.withLock { q in
            let room = max(0, capacity - q.count)
            q.append(contentsOf: spans.prefix(room))
            if spans.count > room { dropped.add(spans.count - room, ordering: .relaxed) }
        }
    }

    var count: Int { items.withLock { $0.count } }

    func drain(_ max: Int, _ into: inout [ExportSpan]) -> Int {
        let taken: [ExportSpan] = items.withLock { q in
            let n = Swift.min(max, q.count)
            let t = Array(q.prefix(n))
            q.removeFirst(n)
            return t
        }
        into.append(contentsOf: taken)
        return taken.count
    }

    func exporter(_ config: ExporterConfig, resource: ExportResource = ExporterTestSupport.resource()) -> SpanExporter<ExportSpan> {
        let e = SpanExporter(config: config, resource: resource, scopeName: "chain.test", scopeVersion: "0.9",
                             drain: { [self] max, into in drain(max, &into) })
        e.logger = nil
        return e
    }
}

/// Tests/otlp/receiver.py, serving on 127.0.0.1 for one test.
final class ExporterReceiver {
    let dir: String
    let out: String
    let pid: pid_t
    let port: Int

    /// `script`: a JSON list of answers (see receiver.py).
    init(script: String = "[]", defaultAnswer: String = #"{"status": 200}"#) throws {
        let python = try ExporterTestSupport.venvPython()
        dir = try ExporterTestSupport.makeTempDir()
        out = "\(dir)/requests.jsonl"
        let receiver = "\(ExporterTestSupport.repoRoot())/Tests/otlp/receiver.py"
        pid = try ExporterTestSupport.spawn(
            [python, receiver, "serve", "--port", "0", "--out", out, "--script", script, "--default", defaultAnswer],
            stdout: "\(dir)/stdout", stderr: "\(dir)/stderr")
        let end = ExporterTestSupport.monotonicSeconds() + 30
        var found: Int? = nil
        while ExporterTestSupport.monotonicSeconds() < end {
            let text = ExporterTestSupport.readText("\(dir)/stdout")
            if let nl = text.firstIndex(of: "\n"), let p = Int(text[..<nl]) {
                found = p
                break
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let err = ExporterTestSupport.readText("\(dir)/stderr")
                ExporterTestSupport.removeTree(dir)
                throw ExporterTestSupport.Failure(description: "receiver.py exited: \(err)")
            }
            usleep(20_000)
        }
        guard let p = found else {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            throw ExporterTestSupport.Failure(description: "receiver.py printed no port within 30 s")
        }
        port = p
    }

    func stop() {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        ExporterTestSupport.removeTree(dir)
    }

    /// The decoded requests so far.
    func records() -> [[String: Any]] {
        ExporterTestSupport.readText(out).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// Waits until `condition` holds for the records (at most `timeout` seconds).
    @discardableResult
    func waitFor(timeout: Double = 15, _ condition: ([[String: Any]]) -> Bool) -> [[String: Any]] {
        let end = ExporterTestSupport.monotonicSeconds() + timeout
        while true {
            let r = records()
            if condition(r) || ExporterTestSupport.monotonicSeconds() >= end { return r }
            usleep(20_000)
        }
    }

    static func spanCount(_ records: [[String: Any]]) -> Int {
        records.reduce(0) { $0 + (($1["span_count"] as? Int) ?? 0) }
    }

    static func spans(_ records: [[String: Any]]) -> [[String: Any]] {
        records.flatMap { ($0["spans"] as? [[String: Any]]) ?? [] }
    }
}

/// Waits until `condition` is true (at most `timeout` seconds); its final value.
@discardableResult
func exporterEventually(timeout: Double = 15, _ condition: () -> Bool) -> Bool {
    let end = ExporterTestSupport.monotonicSeconds() + timeout
    while !condition() {
        if ExporterTestSupport.monotonicSeconds() >= end { return false }
        usleep(10_000)
    }
    return true
}
