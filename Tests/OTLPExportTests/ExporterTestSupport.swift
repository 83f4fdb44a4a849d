// Helpers for the span exporter tests: the Python OTLP receiver (Tests/otlp/receiver.py) as a child
// process (through ChainTestSupport), a span queue standing in for the rings, and span factories.

import Foundation
import Glibc
import Synchronization
import ChainTestSupport
import Reactor
import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

enum ExporterTestSupport {
    // MARK: spans

    static func span(_ i: Int, name: String? = nil, kind: SpanKind = .server, attributes: [SpanAttribute] = [],
                     events: [SpanEventSpec] = [], status: StatusCode = .unset, statusMessage: String = "") -> SpanRecord {
        .make(trace: (0x0102_0304_0506_0708, UInt64(i) + 1), spanID: 0x1000 + UInt64(i),
              parentID: i % 2 == 0 ? 0 : 0x2000 + UInt64(i), name: name ?? "span-\(i)",
              kind: kind, start: 1_700_000_000_000_000_000 + UInt64(i),
              end: 1_700_000_000_000_000_000 + UInt64(i) + 1000, attributes: attributes, events: events,
              status: status, statusMessage: statusMessage)
    }

    static func spans(_ range: Range<Int>) -> [SpanRecord] { range.map { span($0) } }

    static func resource(_ name: String = "test-service") -> ExportResource {
        ExportResource(attributes: [Attribute("service.name", name), Attribute("service.version", "1.2.3")])
    }

    /// A config sending to the receiver, with test-friendly timings.
    static func config(port: Int) -> ExporterConfig {
        var c = ExporterConfig()
        c.endpoint = ("127.0.0.1", port, "/v1/traces")
        c.scheduleDelay = .milliseconds(20)
        c.timeout = .seconds(5)
        c.exportTimeout = .seconds(20)
        return c
    }
}

/// Stands in for the span rings: producers push, the exporter's drain takes.
final class ExporterSpanQueue: @unchecked Sendable {
    private let items = Mutex<[SpanRecord]>([])
    let capacity: Int
    let dropped = Atomic<Int>(0)

    init(capacity: Int = 1 << 20) { self.capacity = capacity }

    /// Never waits for the exporter beyond the lock's few instructions; drops when full.
    func push(_ spans: [SpanRecord]) {
        items.withLock { q in
            let room = max(0, capacity - q.count)
            q.append(contentsOf: spans.prefix(room))
            if spans.count > room { dropped.add(spans.count - room, ordering: .relaxed) }
        }
    }

    var count: Int { items.withLock { $0.count } }

    func drain(_ max: Int, _ into: inout [SpanRecord]) -> Int {
        let taken: [SpanRecord] = items.withLock { q in
            let n = Swift.min(max, q.count)
            let t = Array(q.prefix(n))
            q.removeFirst(n)
            return t
        }
        into.append(contentsOf: taken)
        return taken.count
    }

    func exporter(_ config: ExporterConfig, resource: ExportResource = ExporterTestSupport.resource()) -> SpanExporter<SpanRecord> {
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
        let python = try TestSupport.venvPython()
        dir = try TestSupport.makeTempDir()
        out = "\(dir)/requests.jsonl"
        let receiver = "\(TestSupport.repoRoot())/Tests/otlp/receiver.py"
        pid = try TestSupport.spawn(
            [python, receiver, "serve", "--port", "0", "--out", out, "--script", script, "--default", defaultAnswer],
            stdout: "\(dir)/stdout", stderr: "\(dir)/stderr")
        let end = TestSupport.monotonicSeconds() + 30
        var found: Int? = nil
        while TestSupport.monotonicSeconds() < end {
            let text = TestSupport.readText("\(dir)/stdout")
            if let nl = text.firstIndex(of: "\n"), let p = Int(text[..<nl]) {
                found = p
                break
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let err = TestSupport.readText("\(dir)/stderr")
                TestSupport.removeTree(dir)
                throw TestSupport.Failure(description: "receiver.py exited: \(err)")
            }
            usleep(20_000)
        }
        guard let p = found else {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            throw TestSupport.Failure(description: "receiver.py printed no port within 30 s")
        }
        port = p
    }

    func stop() {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        TestSupport.removeTree(dir)
    }

    /// The decoded requests so far.
    func records() -> [[String: Any]] {
        TestSupport.readText(out).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// Waits until `condition` holds for the records (at most `timeout` seconds).
    @discardableResult
    func waitFor(timeout: Double = 15, _ condition: ([[String: Any]]) -> Bool) -> [[String: Any]] {
        let end = TestSupport.monotonicSeconds() + timeout
        while true {
            let r = records()
            if condition(r) || TestSupport.monotonicSeconds() >= end { return r }
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

