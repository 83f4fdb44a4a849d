// The span exporter against Tests/otlp/receiver.py (a scripted OTLP/HTTP receiver that decodes every
// request with the reference protobuf runtime), and the file sink checked with json_format.Parse.

import Foundation
import Glibc
import HTTP1
import Reactor
import ChainTestSupport
import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class ExporterTests: XCTestCase {
    func now() -> UInt64 { TestSupport.monotonicNanos() }

    func testSpansArriveDecoded() throws {
        let rx = try ExporterReceiver()
        defer { rx.stop() }
        var c = ExporterTestSupport.config(port: rx.port)
        c.headers = [("X-Api-Key", "secret value"), ("user-agent", "custom/1")]
        let q = ExporterSpanQueue()
        let s0 = ExporterTestSupport.span(0, name: "POST /process", kind: .client, attributes: [
            SpanAttribute("http.request.method", .literal("POST")), SpanAttribute("http.response.status_code", .int(200)),
            SpanAttribute("ratio", .double(0.5)), SpanAttribute("cache.hit", .bool(true)),
        ], events: [SpanEventSpec(name: "item", time: 1_700_000_000_000_000_500, attributes: [SpanAttribute("sku", .text(InlineText("SKU-1")))])],
        status: .error, statusMessage: "boom")
        q.push([s0, ExporterTestSupport.span(1)])
        let e = q.exporter(c, resource: resourceFromEnvironment([:], serviceName: "order-service", serviceVersion: "2.0"))
        try e.start()
        defer { e.shutdown(deadline: Instant.now() + .seconds(2)) }

        let records = rx.waitFor { ExporterReceiver.spanCount($0) >= 2 }
        XCTAssertEqual(records.count, 1)
        let r = try XCTUnwrap(records.first)
        XCTAssertNil(r["error"] as? String)
        XCTAssertEqual(r["path"] as? String, "/v1/traces")
        XCTAssertEqual(r["content_type"] as? String, "application/x-protobuf")
        XCTAssertNil(r["content_encoding"] as? String)
        let headers = try XCTUnwrap(r["headers"] as? [String: String])
        XCTAssertEqual(headers["x-api-key"], "secret value")
        XCTAssertEqual(headers["host"], "127.0.0.1:\(rx.port)")
        XCTAssertEqual(headers["user-agent"], "custom/1", "a configured User-Agent replaces ours")
        let names = try XCTUnwrap(r["header_names"] as? [String])
        XCTAssertEqual(names.filter { $0 == "user-agent" }.count, 1)
        XCTAssertEqual(names.filter { $0 == "content-type" }.count, 1)
        XCTAssertEqual(r["service_name"] as? String, "order-service")
        let resource = try XCTUnwrap(r["resource"] as? [String: Any])
        XCTAssertEqual(resource["service.version"] as? String, "2.0")
        XCTAssertEqual(resource["process.pid"] as? Int, Int(getpid()))
        XCTAssertEqual(resource["telemetry.sdk.language"] as? String, "swift")
        XCTAssertEqual((r["scope"] as? [String: String]) ?? [:], ["name": "chain.test", "version": "0.9"])

        let spans = ExporterReceiver.spans(records)
        XCTAssertEqual(spans.count, 2)
        let a = spans[0]
        XCTAssertEqual(a["name"] as? String, "POST /process")
        XCTAssertEqual(a["trace_id"] as? String, "01020304050607080000000000000001")
        XCTAssertEqual(a["span_id"] as? String, "0000000000001000")
        XCTAssertEqual(a["parent_span_id"] as? String, "")
        XCTAssertEqual(a["kind"] as? Int, 3)
        XCTAssertEqual(a["start"] as? Int, 1_700_000_000_000_000_000)
        XCTAssertEqual(a["end"] as? Int, 1_700_000_000_000_001_000)
        XCTAssertEqual(a["flags"] as? Int, 0x101)
        let attrs = try XCTUnwrap(a["attributes"] as? [String: Any])
        XCTAssertEqual(attrs["http.request.method"] as? String, "POST")
        XCTAssertEqual(attrs["http.response.status_code"] as? Int, 200)
        XCTAssertEqual(attrs["ratio"] as? Double, 0.5)
        XCTAssertEqual(attrs["cache.hit"] as? Bool, true)
        let events = try XCTUnwrap(a["events"] as? [[String: Any]])
        XCTAssertEqual(events.first?["name"] as? String, "item")
        XCTAssertEqual((events.first?["attributes"] as? [String: String])?["sku"], "SKU-1")
        let status = try XCTUnwrap(a["status"] as? [String: Any])
        XCTAssertEqual(status["code"] as? Int, 2)
        XCTAssertEqual(status["message"] as? String, "boom")
        XCTAssertEqual(spans[1]["parent_span_id"] as? String, "0000000000002001")

        XCTAssertTrue(eventually { e.spansExported == 2 })
        XCTAssertEqual(e.spansFailed, 0)
        XCTAssertEqual(e.exportFailures, 0)
        XCTAssertEqual(e.exportCount, 1)
        XCTAssertGreaterThan(e.lastExportDurationNanos, 0)
        XCTAssertEqual(e.exportDurationSumNanos, e.lastExportDurationNanos)
    }

    func testBatchesBySize() throws {
        let rx = try ExporterReceiver()
        defer { rx.stop() }
        var c = ExporterTestSupport.config(port: rx.port)
        c.scheduleDelay = .seconds(5)  // only full batches go without waiting
        c.maxBatch = 512
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 1200))
        let e = q.exporter(c)
        try e.start()
        // 512 + 512 back to back, then 176 (the rest) without waiting for the schedule delay.
        let records = rx.waitFor { ExporterReceiver.spanCount($0) >= 1200 }
        XCTAssertEqual(records.map { $0["span_count"] as? Int }, [512, 512, 176])
        let names = ExporterReceiver.spans(records).compactMap { $0["name"] as? String }
        XCTAssertEqual(names, (0 ..< 1200).map { "span-\($0)" }, "order kept")
        XCTAssertTrue(eventually { e.spansExported == 1200 })
        let t0 = now()
        e.shutdown(deadline: Instant.now() + .seconds(2))
        XCTAssertLessThan(now() - t0, 1_000_000_000, "shutdown cuts the schedule delay short")
        XCTAssertEqual(e.requestsSent, 3)
        XCTAssertEqual(e.exportCount, 3)
    }

    func testRetriesOn503ThenSucceeds() throws {
        let rx = try ExporterReceiver(script: #"[{"status": 503}, {"status": 502}, {"status": 200}]"#)
        defer { rx.stop() }
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 10))
        let e = q.exporter(ExporterTestSupport.config(port: rx.port))
        try e.start()
        defer { e.shutdown(deadline: Instant.now() + .seconds(2)) }
        let records = rx.waitFor { $0.count >= 3 }
        XCTAssertEqual(records.map { $0["span_count"] as? Int }, [10, 10, 10], "the same batch again")
        XCTAssertTrue(eventually { e.spansExported == 10 })
        XCTAssertEqual(e.exportFailures, 2)
        XCTAssertEqual(e.spansFailed, 0)
        // Backoff: the second retry waits at most 200 ms (full jitter), so all is over quickly.
        let t = records.compactMap { $0["t"] as? Double }
        XCTAssertLessThan(t[2] - t[0], 1.5)
    }

    func testRetryAfterIsHonoured() throws {
        let rx = try ExporterReceiver(script: #"[{"status": 429, "retry_after": 1}, {"status": 200}]"#)
        defer { rx.stop() }
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 4))
        let e = q.exporter(ExporterTestSupport.config(port: rx.port))
        try e.start()
        defer { e.shutdown(deadline: Instant.now() + .seconds(2)) }
        let records = rx.waitFor { $0.count >= 2 }
        XCTAssertEqual(records.count, 2)
        let t = records.compactMap { $0["t"] as? Double }
        XCTAssertGreaterThanOrEqual(t[1] - t[0], 0.95, "Retry-After: 1 replaces the 100 ms backoff")
        XCTAssertLessThan(t[1] - t[0], 2.0)
        XCTAssertTrue(eventually { e.spansExported == 4 })
        XCTAssertEqual(e.exportFailures, 1)
    }

    func testRetryAfterBeyondTheExportTimeoutGivesUp() throws {
        let rx = try ExporterReceiver(script: #"[{"status": 503, "retry_after": 60}]"#)
        defer { rx.stop() }
        var c = ExporterTestSupport.config(port: rx.port)
        c.exportTimeout = .seconds(2)
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 4))
        let e = q.exporter(c)
        let t0 = now()
        try e.start()
        defer { e.shutdown(deadline: Instant.now() + .seconds(2)) }
        XCTAssertTrue(eventually { e.spansFailed == 4 })
        XCTAssertLessThan(now() - t0, 1_500_000_000, "no pointless wait for a delay that cannot fit")
        XCTAssertEqual(rx.records().count, 1)
    }

    func testClientErrorIsNotRetried() throws {
        let rx = try ExporterReceiver(script: #"[{"status": 400}, {"status": 500}]"#)
        defer { rx.stop() }
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 5))
        let e = q.exporter(ExporterTestSupport.config(port: rx.port))
        try e.start()
        defer { e.shutdown(deadline: Instant.now() + .seconds(2)) }
        XCTAssertTrue(eventually { e.spansFailed == 5 })
        // Asserting that nothing more arrives: the exporter thread's backoff is a real poll(2)
        // timeout on its own thread (no loop, no clock to move), so real time has to pass.
        usleep(600_000)  // longer than any backoff: a retry would have arrived
        XCTAssertEqual(rx.records().count, 1)
        XCTAssertEqual(e.exportFailures, 1)
        XCTAssertEqual(e.spansExported, 0)
        // 500 is not retried either; the next batch goes on as usual.
        q.push(ExporterTestSupport.spans(5 ..< 8))
        XCTAssertTrue(eventually { e.spansFailed == 8 })
        q.push(ExporterTestSupport.spans(8 ..< 9))
        XCTAssertTrue(eventually { e.spansExported == 1 })
        XCTAssertEqual(rx.records().map { $0["span_count"] as? Int }, [5, 3, 1])
    }

    func testSlowReceiverTimesOutAndIsRetried() throws {
        let rx = try ExporterReceiver(script: #"[{"status": 200, "delay_ms": 2000}, {"status": 200}]"#)
        defer { rx.stop() }
        var c = ExporterTestSupport.config(port: rx.port)
        c.timeout = .milliseconds(300)
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 6))
        let e = q.exporter(c)
        try e.start()
        defer { e.shutdown(deadline: Instant.now() + .seconds(2)) }
        let records = rx.waitFor { $0.count >= 2 }
        XCTAssertEqual(records.map { $0["span_count"] as? Int }, [6, 6])
        let t = records.compactMap { $0["t"] as? Double }
        XCTAssertGreaterThanOrEqual(t[1] - t[0], 0.28, "the first attempt waited for its timeout")
        XCTAssertLessThan(t[1] - t[0], 1.5, "and not for the slow answer")
        XCTAssertTrue(eventually { e.spansExported == 6 })
        XCTAssertEqual(e.exportFailures, 1)
        XCTAssertNotEqual(records[0]["client_port"] as? Int, records[1]["client_port"] as? Int, "reconnected")
    }

    func testPartialSuccessIsCounted() throws {
        let rx = try ExporterReceiver(script: #"[{"status": 200, "partial_rejected": 3, "partial_message": "too old"}, {"status": 200, "partial_rejected": 1, "json": true}]"#)
        defer { rx.stop() }
        var c = ExporterTestSupport.config(port: rx.port)
        c.maxBatch = 10
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 20))
        let e = q.exporter(c)
        try e.start()
        defer { e.shutdown(deadline: Instant.now() + .seconds(2)) }
        XCTAssertTrue(eventually { e.spansExported + e.partialRejected == 20 })
        XCTAssertEqual(e.partialRejected, 4)
        XCTAssertEqual(e.spansExported, 16)
        XCTAssertEqual(e.spansFailed, 0)
        XCTAssertEqual(e.exportFailures, 0)
    }

    func testGzipBodies() throws {
        let rx = try ExporterReceiver()
        defer { rx.stop() }
        var c = ExporterTestSupport.config(port: rx.port)
        c.gzip = true
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 300))
        let e = q.exporter(c)
        try e.start()
        defer { e.shutdown(deadline: Instant.now() + .seconds(2)) }
        let records = rx.waitFor { ExporterReceiver.spanCount($0) >= 300 }
        let r = try XCTUnwrap(records.first)
        XCTAssertNil(r["error"] as? String)
        XCTAssertEqual(r["content_encoding"] as? String, "gzip")
        XCTAssertEqual((r["headers"] as? [String: String])?["user-agent"], "chain-otlp/\(telemetrySDKVersion)")
        XCTAssertEqual(r["content_type"] as? String, "application/x-protobuf")
        XCTAssertEqual(ExporterReceiver.spans(records).last?["name"] as? String, "span-299")
        let plain = SpanRecord.encodeProtobuf(ExporterTestSupport.spans(0 ..< 300), resource: ExporterTestSupport.resource(),
                                              scopeName: "chain.test", scopeVersion: "0.9")
        XCTAssertLessThan(try XCTUnwrap(r["body_bytes"] as? Int), plain.count / 3, "compressed")
    }

    func testReceiverDownDropsAndCountsWithoutBlockingTheProducer() throws {
        var c = ExporterTestSupport.config(port: TestSupport.closedPort())
        c.maxRetries = 2
        c.maxBatch = 50
        c.scheduleDelay = .milliseconds(10)
        let q = ExporterSpanQueue(capacity: 100)
        let e = q.exporter(c)
        try e.start()
        var worstPush: UInt64 = 0
        var pushed = 0
        let t0 = now()
        // Produce for ~1.5 s: 20 spans every 10 ms, into a queue of 100 that the failing exporter
        // hardly empties. The producer must never wait on the exporter.
        while now() - t0 < 1_500_000_000 {
            let batch = ExporterTestSupport.spans(pushed ..< pushed + 20)
            let s = now()
            q.push(batch)
            worstPush = max(worstPush, now() - s)
            pushed += 20
            usleep(10_000)   // the producer's pace, against the exporter's real timeouts
        }
        XCTAssertLessThan(worstPush, 200_000_000, "a push never waits for the exporter (whose attempts and backoffs take longer)")
        XCTAssertGreaterThan(q.dropped.load(ordering: .relaxed), 0, "the full queue dropped spans")
        e.shutdown(deadline: Instant.now() + .seconds(3))
        XCTAssertEqual(e.spansExported, 0)
        XCTAssertGreaterThanOrEqual(e.spansFailed, 50)
        XCTAssertEqual(e.exportFailures, e.requestsSent)
        XCTAssertEqual(e.exportFailures, 3 * e.exportCount, "1 + maxRetries attempts per batch")
        XCTAssertEqual(e.spansFailed + q.count + q.dropped.load(ordering: .relaxed), pushed)
    }

    func testShutdownFlushesQueuedSpans() throws {
        let rx = try ExporterReceiver()
        defer { rx.stop() }
        var c = ExporterTestSupport.config(port: rx.port)
        c.scheduleDelay = .seconds(30)
        c.maxBatch = 100
        let q = ExporterSpanQueue()
        let e = q.exporter(c)
        try e.start()
        // The exporter thread has no state to poll for "asleep": it blocks in poll(2), the
        // kernel wait that shutdown must interrupt, which is what this test is about.
        usleep(200_000)  // the thread is asleep in its 30 s schedule delay
        q.push(ExporterTestSupport.spans(0 ..< 730))
        let t0 = now()
        e.shutdown(deadline: Instant.now() + .seconds(5))
        XCTAssertLessThan(now() - t0, 3_000_000_000)
        XCTAssertEqual(e.spansExported, 730)
        XCTAssertEqual(q.count, 0)
        XCTAssertEqual(ExporterReceiver.spanCount(rx.records()), 730)
    }

    func testShutdownDeadlineBoundsAStuckCollector() throws {
        let rx = try ExporterReceiver(defaultAnswer: #"{"status": 200, "delay_ms": 20000}"#)
        defer { rx.stop() }
        var c = ExporterTestSupport.config(port: rx.port)
        c.timeout = .seconds(30)
        c.exportTimeout = .seconds(60)
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 7))
        let e = q.exporter(c)
        try e.start()
        rx.waitFor { $0.count >= 1 }
        q.push(ExporterTestSupport.spans(7 ..< 9))
        let t0 = now()
        e.shutdown(deadline: Instant.now() + .milliseconds(700))
        let took = now() - t0
        XCTAssertGreaterThanOrEqual(took, 600_000_000)
        XCTAssertLessThan(took, 1_500_000_000, "the deadline cut the stuck request short")
        XCTAssertEqual(e.spansFailed, 7)
        XCTAssertEqual(e.spansExported, 0)
    }

    func testKeepAliveAndChunkedResponses() throws {
        let rx = try ExporterReceiver(script: """
            [{"status": 200, "chunked": true, "partial_rejected": 2},
             {"status": 200},
             {"status": 503, "close": true},
             {"status": 200, "chunked": true}]
            """)
        defer { rx.stop() }
        let client = BlockingHTTPClient(host: "127.0.0.1", port: rx.port)
        let body = Array("not protobuf".utf8)
        func post() -> BlockingHTTPClient.Response? {
            let r = client.request(method: .POST, path: "/v1/traces", headers: [("Content-Type", "application/x-protobuf")],
                                   body: body, deadline: Instant.now() + .seconds(5))
            guard case .success(let resp) = r else {
                XCTFail("\(r)")
                return nil
            }
            return resp
        }
        let r1 = try XCTUnwrap(post())
        XCTAssertEqual(r1.status, 200)
        XCTAssertEqual(r1.contentType, "application/x-protobuf")
        XCTAssertEqual(SpanExporter<SpanRecord>.rejectedSpans(r1), 2)
        XCTAssertEqual(try XCTUnwrap(post()).status, 200)
        let r3 = try XCTUnwrap(post())
        XCTAssertEqual(r3.status, 503)
        XCTAssertEqual(client.connectionsOpened, 1, "one keep-alive connection for three requests")
        XCTAssertEqual(client.fd, -1, "Connection: close honoured")
        XCTAssertEqual(try XCTUnwrap(post()).status, 200)
        XCTAssertEqual(client.connectionsOpened, 2)
        let ports = rx.records().compactMap { $0["client_port"] as? Int }
        XCTAssertEqual(ports.count, 4)
        XCTAssertEqual(Set(ports[0 ..< 3]).count, 1)
        XCTAssertNotEqual(ports[3], ports[0])

        let refused = BlockingHTTPClient(host: "127.0.0.1", port: TestSupport.closedPort())
        let r = refused.request(method: .POST, path: "/", headers: [], body: body, deadline: Instant.now() + .seconds(2))
        XCTAssertEqual(r.exporterFailure, .connect(ECONNREFUSED))
    }

    func testStaleKeepAliveConnectionAndCloseDelimitedBody() throws {
        let rx = try ExporterReceiver(script: """
            [{"status": 200, "silent_close": true},
             {"status": 200, "no_length": true, "partial_rejected": 5},
             {"status": 200}]
            """)
        defer { rx.stop() }
        let client = BlockingHTTPClient(host: "127.0.0.1", port: rx.port)
        for round in 0 ..< 2 {
            let r = client.request(method: .POST, path: "/v1/traces", headers: [], body: [1, 2, 3],
                                   deadline: Instant.now() + .seconds(5))
            guard case .success(let resp) = r else { return XCTFail("round \(round): \(r)") }
            XCTAssertEqual(resp.status, 200)
            if round == 1 { XCTAssertEqual(SpanExporter<SpanRecord>.rejectedSpans(resp), 5, "body read until close") }
        }
        XCTAssertEqual(client.connectionsOpened, 2, "the silently closed connection was replaced")
        XCTAssertEqual(client.fd, -1, "a close-delimited body ends the connection")
        // Right after a silent close the client may still write into the dead connection: it then
        // retries once on a new one, without the caller seeing an error.
        let r = client.request(method: .POST, path: "/v1/traces", headers: [], body: [4], deadline: Instant.now() + .seconds(5))
        XCTAssertEqual(try XCTUnwrap(try? r.get()).status, 200)
        XCTAssertEqual(rx.records().count, 3)
    }

    func testFileSinkWritesOTLPJSONLines() throws {
        let python = try TestSupport.venvPython()
        let dir = try TestSupport.makeTempDir()
        defer { TestSupport.removeTree(dir) }
        var c = ExporterConfig.from(environment: ["CHAIN_SPAN_FILE": "\(dir)/run/nested/spans.jsonl"])
        XCTAssertNil(c.endpoint)
        c.maxBatch = 4
        c.scheduleDelay = .milliseconds(10)
        let q = ExporterSpanQueue()
        let first = ExporterTestSupport.span(0, name: "calculate_pricing", attributes: [
            SpanAttribute("order.item_count", .int(3)), SpanAttribute("user.tier", .text(InlineText("gold \"vip\"\n"))),
        ], events: [SpanEventSpec(name: "exception", time: 5, attributes: [SpanAttribute("exception.message", .text(InlineText("ü ✓")))])])
        q.push([first] + ExporterTestSupport.spans(1 ..< 6))
        let e = q.exporter(c)
        try e.start()
        e.shutdown(deadline: Instant.now() + .seconds(5))
        XCTAssertEqual(e.spansExported, 6)
        let file = "\(dir)/run/nested/spans.jsonl"
        let text = TestSupport.readText(file)
        XCTAssertEqual(text.split(separator: "\n", omittingEmptySubsequences: false).count, 3, "two lines and the final newline")

        let out = "\(dir)/parsed.jsonl", err = "\(dir)/parsed.err"
        let status = try TestSupport.run(
            [python, "\(TestSupport.repoRoot())/Tests/otlp/receiver.py", "parse-jsonl", file],
            stdout: out, stderr: err, timeout: 60)
        XCTAssertEqual(status, 0, TestSupport.readText(err))
        let records = TestSupport.readText(out).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        XCTAssertEqual(records.map { $0["span_count"] as? Int }, [4, 2])
        XCTAssertEqual(records.first?["service_name"] as? String, "test-service")
        let spans = ExporterReceiver.spans(records)
        XCTAssertEqual(spans.first?["name"] as? String, "calculate_pricing")
        XCTAssertEqual(spans.first?["trace_id"] as? String, "01020304050607080000000000000001")
        let attrs = try XCTUnwrap(spans.first?["attributes"] as? [String: Any])
        XCTAssertEqual(attrs["order.item_count"] as? Int, 3)
        XCTAssertEqual(attrs["user.tier"] as? String, "gold \"vip\"\n")
        let events = try XCTUnwrap(spans.first?["events"] as? [[String: Any]])
        XCTAssertEqual((events.first?["attributes"] as? [String: String])?["exception.message"], "ü ✓")

        // A second exporter appends to the same file.
        q.push(ExporterTestSupport.spans(6 ..< 7))
        let e2 = q.exporter(c)
        try e2.start()
        e2.shutdown(deadline: Instant.now() + .seconds(5))
        XCTAssertEqual(TestSupport.readText(file).split(separator: "\n").count, 3)
    }
}

extension Result {
    var exporterFailure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
