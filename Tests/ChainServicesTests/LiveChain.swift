import ChainTestSupport
import Foundation
import Glibc
import HTTP1
import Postgres
import Reactor
import Tracing
import Metrics
import OTLPExport
import XCTest
@testable import ChainServices
import ChainRuntime

/// The three services on one loop against the test's PostgreSQL, calling each other over
/// loopback HTTP (as `chain serve --service all`), plus `psql` for what a test does to the
/// database behind their back: hold a lock, count rows.
final class LiveChain {
    let url: String
    let app: ChainApp
    var tracers: [ServiceName: Tracer] = [:]
    var ports: [ServiceName: Int] = [:]
    var registries: [ServiceName: MetricsRegistry] = [:]

    /// Built as `chain serve --service all` builds it (`ChainApp`), with free ports, one loop,
    /// one connection per pool, and the spans left in the rings for the test to read.
    init() throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw XCTSkip("DATABASE_URL not set: run ./scripts/test.sh")
        }
        self.url = url
        var options = ChainOptions()
        options.serving = .services(ServiceName.allCases)
        options.server.host = "127.0.0.1"
        for name in ServiceName.allCases { options.servicePorts[name] = 0 }
        options.loops = 1
        options.databaseURL = url
        options.dbConnectionsPerLoop = 1
        options.exportSpans = false
        app = try ChainApp(options)
        let loop = app.group.loops[0]
        for unit in app.units {
            let name = ServiceName(rawValue: unit.name)!
            ports[name] = unit.server.port
            tracers[name] = unit.telemetry.tracers[loop]
            registries[name] = unit.telemetry.metrics
        }
        try app.start()
        try Self.waitUntil("the pools' connections ready", timeout: 10_000_000_000) { [app] in app.servicesReady }
    }

    func stop() { app.shutdown() }

    struct Timeout: Error, CustomStringConvertible { let description: String }

    static func waitUntil(_ what: String, timeout: UInt64, _ condition: () -> Bool) throws {
        guard eventually(timeout: .nanoseconds(timeout), condition) else {
            throw Timeout(description: "not within \(timeout / 1_000_000) ms: \(what)")
        }
    }

    /// POST /process to user-service; `headers` as "Name: value" lines.
    func post(_ body: String, headers: [String] = []) throws -> (Int, String) {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return try exchange(.user, "POST /process HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }

    func exchange(_ service: ServiceName, _ req: String) throws -> (Int, String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: ports[service]!)
        _ = withUnsafeBytes(of: addr.storage) { connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), addr.length) }
        _ = Array(req.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    func exposition(_ service: ServiceName) -> String {
        var out: [UInt8] = []
        registries[service]!.renderPrometheus(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Every span the services ended so far.
    func drainSpans() -> [(ServiceName, ExportSpan)] {
        var spans: [(ServiceName, ExportSpan)] = []
        for name in ServiceName.allCases { spans += tracers[name]!.ring.drainExported().map { (name, $0) } }
        return spans
    }

    // MARK: psql

    /// The first output line of `sql` run by psql (-At), or nil when psql failed.
    func psql(_ sql: String) -> String? {
        let out = "/tmp/livechain-\(getpid())-\(UUID().uuidString).out"
        defer { unlink(out) }
        let status = spawn(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql], stdout: out, wait: true)
        guard status == 0, let text = try? String(contentsOfFile: out, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.map(String.init) ?? ""
    }

    func count(_ sql: String) -> Int { Int(psql(sql) ?? "") ?? -1 }

    /// Holds `LOCK TABLE table` (ACCESS EXCLUSIVE) for `seconds` in a psql child; returns when
    /// the lock is granted. `waitForRelease` then waits for the child to commit.
    func holdLock(_ table: String, seconds: Double) throws -> pid_t {
        let sql = "BEGIN; LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(\(seconds)); COMMIT;"
        let pid = spawn(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], stdout: "/dev/null", wait: false)
        try Self.waitUntil("the lock on \(table) held", timeout: 10_000_000_000) {
            count("SELECT count(*) FROM pg_locks WHERE relation = '\(table)'::regclass AND mode = 'AccessExclusiveLock' AND granted") == 1
        }
        return pid
    }

    func waitForRelease(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (status >> 8) & 0xff
    }

    private func spawn(_ args: [String], stdout: String, wait: Bool) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var pid = pid_t()
        let argv = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawnp(&pid, args[0], &actions, nil, argv, environ) == 0 else { return -1 }
        if !wait { return pid }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (status >> 8) & 0xff
    }
}

/// Runs `body(i)` for i in 0..<n on n threads at once (one thread each, not a pool that the
/// machine's two cores would cap) and returns the results in order.
private final class ResultBox<T>: @unchecked Sendable {
    var results: [T?]
    let lock = NSLock()
    let done = DispatchSemaphore(value: 0)
    init(_ n: Int) { results = [T?](repeating: nil, count: n) }
}

func concurrently<T>(_ n: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let box = ResultBox<T>(n)
    for i in 0..<n {
        let t = Thread {
            let r = body(i)
            box.lock.lock()
            box.results[i] = r
            box.lock.unlock()
            box.done.signal()
        }
        t.start()
    }
    for _ in 0..<n { box.done.wait() }
    return box.results.map { $0! }
}
