import Foundation
import Glibc
import Reactor
import Synchronization
import ChainTestSupport
import XCTest

/// SIGTERM to `chain serve`: the requests in flight and the span flush share one
/// `--shutdown-timeout`, and the process is gone before it ends (Docker kills at its own 10 s).
final class ShutdownBudgetTests: XCTestCase {
    /// An upstream that answers its one request after `delay` seconds: the in-flight request.
    final class SlowUpstream: @unchecked Sendable {
        let listener: Int32
        let port: Int
        let arrived = Atomic<Bool>(false)

        init(delay: Double) throws {
            listener = try Socket.listen(SocketAddress.resolve(host: "127.0.0.1", port: 0), reusePort: false)
            port = Socket.localPort(listener)
            let flags = fcntl(listener, F_GETFL)
            _ = fcntl(listener, F_SETFL, flags & ~O_NONBLOCK)
            Thread { [self] in
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { return }
                var buf = [UInt8](repeating: 0, count: 4096)
                _ = recv(fd, &buf, buf.count, 0)
                arrived.store(true, ordering: .releasing)
                usleep(UInt32(delay * 1e6))   // a slow upstream, seen by a whole `chain` process on the real clock
                ChainProcess.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                close(fd)
            }.start()
        }

        deinit { close(listener) }
    }

    private struct Run {
        var exitStatus: Int32
        var secondsAfterSignal: Double
        var reply: String
        var stderr: String
    }

    /// Starts chain with a 1.5 s request in flight (POST /test calling the slow upstream), sends
    /// SIGTERM, and measures until the process is gone.
    private func runWithInFlightRequest(timeout: Int, env: [String: String], healthRequests: Int = 0) throws -> Run {
        let dir = try TestSupport.makeTempDir()
        defer { TestSupport.removeTree(dir) }
        let upstream = try SlowUpstream(delay: 1.5)
        let port = TestSupport.closedPort()
        let pid = try ChainProcess.spawn(["serve", "--host", "127.0.0.1", "--port", "\(port)", "--loops", "1",
                                          "--shutdown-timeout", "\(timeout)", "--enable-test-endpoints"],
                                         env: env.merging(["CHAIN_SPAN_FILE": "\(dir)/spans.jsonl"]) { a, _ in a }, dir: dir)
        var reaped = false
        defer { if !reaped { kill(-pid, SIGKILL); var s: Int32 = 0; _ = waitpid(pid, &s, 0) } }
        guard ChainProcess.waitForListener(port, pid: pid) else {
            throw TestSupport.Failure(description: "chain did not listen: \(TestSupport.readText("\(dir)/chain.err"))")
        }
        for _ in 0..<healthRequests {
            guard let fd = ChainProcess.connectLoopback(port) else { throw TestSupport.Failure(description: "connect") }
            ChainProcess.send(fd, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertTrue(ChainProcess.readAll(fd).hasPrefix("HTTP/1.1 200"))
            close(fd)
        }
        guard let client = ChainProcess.connectLoopback(port) else { throw TestSupport.Failure(description: "connect") }
        defer { close(client) }
        let body = "[{\"url\":\"http://127.0.0.1:\(upstream.port)/\",\"arguments\":{}}]"
        ChainProcess.send(client, "POST /test HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertTrue(eventually(timeout: .seconds(5)) { upstream.arrived.load(ordering: .acquiring) }, "the request is in flight")
        let signalled = TestSupport.monotonicSeconds()
        kill(pid, SIGTERM)
        let reply = ChainProcess.readAll(client)
        let status = try TestSupport.wait(pid, timeout: Double(timeout) + 15, what: "chain after SIGTERM")
        reaped = true
        return Run(exitStatus: status, secondsAfterSignal: TestSupport.monotonicSeconds() - signalled,
                   reply: reply, stderr: TestSupport.readText("\(dir)/chain.err"))
    }

    /// The collector takes connections and never answers: the flush may only use what the
    /// drain left of the timeout.
    func testUnresponsiveCollectorDoesNotStretchTheShutdown() throws {
        let blackhole = try Socket.listen(SocketAddress.resolve(host: "127.0.0.1", port: 0), reusePort: false)
        defer { close(blackhole) }
        let run = try runWithInFlightRequest(timeout: 3, env: [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:\(Socket.localPort(blackhole))/v1/traces",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        ])
        XCTAssertTrue(run.reply.hasPrefix("HTTP/1.1 200"), "the in-flight request got its answer: \(run.reply)")
        XCTAssertEqual(run.exitStatus, 0, run.stderr)
        XCTAssertLessThan(run.secondsAfterSignal, 3.25, "gone within --shutdown-timeout 3: \(run.stderr)")
    }

    /// With a collector that answers, every span is delivered, the in-flight request's too.
    func testNoSpanIsLostWithinTheBudget() throws {
        let receiver = try ExporterReceiver()
        defer { receiver.stop() }
        let run = try runWithInFlightRequest(timeout: 3, env: [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:\(receiver.port)/v1/traces",
            "OTEL_BSP_SCHEDULE_DELAY": "60000",   // nothing leaves before the shutdown flush
        ], healthRequests: 20)
        XCTAssertTrue(run.reply.hasPrefix("HTTP/1.1 200"), run.reply)
        XCTAssertEqual(run.exitStatus, 0, run.stderr)
        XCTAssertLessThan(run.secondsAfterSignal, 3.25, run.stderr)
        let names = ExporterReceiver.spans(receiver.records()).compactMap { $0["name"] as? String }
        XCTAssertEqual(names.filter { $0 == "GET /health" }.count, 20)
        XCTAssertEqual(names.filter { $0 == "POST /test" }.count, 1, "the in-flight request's span: \(names)")
        XCTAssertEqual(names.count, 22, "20 health, the /test server span and its client span: \(names)")
    }
}
