// The exporter's configuration from environment dictionaries, the resource, the retry policy,
// gzip and the small parsers: no child processes.

import Glibc
import Reactor
import ChainTestSupport
import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class ExporterConfigTests: XCTestCase {
    func endpoint(_ env: [String: String]) -> [String]? {
        ExporterConfig.from(environment: env).endpoint.map { [$0.host, String($0.port), $0.path] }
    }

    func testDefaults() {
        let c = ExporterConfig.from(environment: [:])
        XCTAssertNil(c.endpoint)
        XCTAssertTrue(c.headers.isEmpty)
        XCTAssertEqual(c.timeout, .seconds(10))
        XCTAssertFalse(c.gzip)
        XCTAssertEqual(c.maxBatch, 4096)
        XCTAssertEqual(c.scheduleDelay, .milliseconds(200))
        XCTAssertEqual(c.exportTimeout, .seconds(30))
        XCTAssertEqual(c.maxRetries, 5)
        XCTAssertEqual(c.filePath, ".run/spans.jsonl")
        XCTAssertFalse(c.disabled)
        XCTAssertTrue(c.description.contains("file .run/spans.jsonl"), c.description)
    }

    func testGenericEndpointGetsSignalPath() {
        let base = "OTEL_EXPORTER_OTLP_ENDPOINT"
        XCTAssertEqual(endpoint([base: "http://collector:4318"]), ["collector", "4318", "/v1/traces"])
        XCTAssertEqual(endpoint([base: "http://collector:4318/"]), ["collector", "4318", "/v1/traces"])
        XCTAssertEqual(endpoint([base: "http://collector:4318/otlp"]), ["collector", "4318", "/otlp/v1/traces"])
        XCTAssertEqual(endpoint([base: "http://collector:4318/otlp/"]), ["collector", "4318", "/otlp/v1/traces"])
        XCTAssertEqual(endpoint([base: "http://collector"]), ["collector", "80", "/v1/traces"])
        XCTAssertEqual(endpoint([base: "HTTP://Collector:4318/x?tenant=a#frag"]), ["Collector", "4318", "/x/v1/traces?tenant=a"])
        XCTAssertEqual(endpoint([base: "  http://127.0.0.1:4318  "]), ["127.0.0.1", "4318", "/v1/traces"])
        XCTAssertEqual(endpoint([base: "http://[::1]:4318"]), ["::1", "4318", "/v1/traces"])
        var c = ExporterConfig.from(environment: [base: "http://[::1]:4318"])
        XCTAssertEqual(c.hostHeader, "[::1]:4318")
        c = ExporterConfig.from(environment: [base: "http://collector"])
        XCTAssertEqual(c.hostHeader, "collector")
        XCTAssertTrue(c.description.contains("http://collector/v1/traces"), c.description)
    }

    func testTracesEndpointIsUsedAsIs() {
        let t = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", base = "OTEL_EXPORTER_OTLP_ENDPOINT"
        XCTAssertEqual(endpoint([t: "http://c:4318/custom/traces"]), ["c", "4318", "/custom/traces"])
        XCTAssertEqual(endpoint([t: "http://c:4318"]), ["c", "4318", "/"])
        XCTAssertEqual(endpoint([t: "http://c:4318/v1/traces", base: "http://other:1"]), ["c", "4318", "/v1/traces"])
        // An invalid signal-specific endpoint falls back to the generic one.
        XCTAssertEqual(endpoint([t: "https://c:4318/v1/traces", base: "http://other:1"]), ["other", "1", "/v1/traces"])
        XCTAssertEqual(endpoint([t: "", base: "http://other:1"]), ["other", "1", "/v1/traces"])
    }

    func testInvalidEndpointsMeanFileSink() {
        for bad in ["https://c:4318", "c:4318", "collector", "http://", "http://:4318", "http://c:0",
                    "http://c:70000", "http://c:abc", "http://c:-1", "http://user:pw@c:4318", "grpc://c:4317",
                    "http://[::1", "http://[::1]x", "http://c d:1", ""] {
            XCTAssertNil(endpoint(["OTEL_EXPORTER_OTLP_ENDPOINT": bad]), bad)
            XCTAssertNil(endpoint(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": bad]), bad)
        }
    }

    func testHeaders() {
        var c = ExporterConfig.from(environment: [
            "OTEL_EXPORTER_OTLP_HEADERS": "api-key=secret%20value%3D%2C, X-Tenant = t1 ,bad,=novalue,crlf=a%0D%0Ab,"
                + "sp ace=1,Content-Type=text/plain,empty=,pct=%zz",
        ])
        XCTAssertEqual(c.headers.map { "\($0.0)=\($0.1)" }, ["api-key=secret value=,", "X-Tenant=t1", "empty="])
        c = ExporterConfig.from(environment: [
            "OTEL_EXPORTER_OTLP_HEADERS": "a=1",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "b=2,c=%E2%9C%93",
        ])
        XCTAssertEqual(c.headers.map { "\($0.0)=\($0.1)" }, ["b=2", "c=✓"])
        XCTAssertFalse(c.description.contains("✓"), "header values are not logged")
    }

    func testTimeoutAndCompression() {
        func timeout(_ env: [String: String]) -> TimeAmount { ExporterConfig.from(environment: env).timeout }
        XCTAssertEqual(timeout(["OTEL_EXPORTER_OTLP_TIMEOUT": "2500"]), .milliseconds(2500))
        XCTAssertEqual(timeout(["OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "700"]), .milliseconds(700))
        XCTAssertEqual(timeout(["OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "x"]), .milliseconds(2500))
        for bad in ["abc", "-1", "0", "1.5", "10s", "", "99999999999999999999"] {
            XCTAssertEqual(timeout(["OTEL_EXPORTER_OTLP_TIMEOUT": bad]), .seconds(10), bad)
        }
        func gzip(_ env: [String: String]) -> Bool { ExporterConfig.from(environment: env).gzip }
        XCTAssertTrue(gzip(["OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"]))
        XCTAssertTrue(gzip(["OTEL_EXPORTER_OTLP_COMPRESSION": " GZIP "]))
        XCTAssertTrue(gzip(["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip"]))
        XCTAssertFalse(gzip(["OTEL_EXPORTER_OTLP_COMPRESSION": "none"]))
        XCTAssertFalse(gzip(["OTEL_EXPORTER_OTLP_COMPRESSION": "br"]))
        XCTAssertFalse(gzip(["OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "none"]))
        XCTAssertTrue(gzip(["OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "zstd"]))
    }

    func testBatchProcessorVariables() {
        func cfg(_ env: [String: String]) -> ExporterConfig { ExporterConfig.from(environment: env) }
        XCTAssertEqual(cfg(["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "100"]).maxBatch, 100)
        for bad in ["0", "-5", "x", "1e3", ""] {
            XCTAssertEqual(cfg(["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": bad]).maxBatch, 4096, bad)
            XCTAssertEqual(cfg(["OTEL_BSP_SCHEDULE_DELAY": bad == "0" ? "-1" : bad]).scheduleDelay, .milliseconds(200), bad)
            XCTAssertEqual(cfg(["OTEL_BSP_EXPORT_TIMEOUT": bad]).exportTimeout, .seconds(30), bad)
        }
        // The queue is the span rings (CHAIN_SPAN_RING_SIZE): OTEL_BSP_MAX_QUEUE_SIZE bounds nothing.
        XCTAssertEqual(cfg(["OTEL_BSP_MAX_QUEUE_SIZE": "50", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "100"]).maxBatch, 100)
        XCTAssertEqual(cfg(["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "3000"]).maxBatch, 3000)
        XCTAssertEqual(cfg(["OTEL_BSP_SCHEDULE_DELAY": "1000"]).scheduleDelay, .seconds(1))
        XCTAssertEqual(cfg(["OTEL_BSP_SCHEDULE_DELAY": "0"]).scheduleDelay, .milliseconds(1))  // never a spin
        XCTAssertEqual(cfg(["OTEL_BSP_EXPORT_TIMEOUT": "5000"]).exportTimeout, .seconds(5))
    }

    func testFileAndDisabled() {
        XCTAssertEqual(ExporterConfig.from(environment: ["CHAIN_SPAN_FILE": "/tmp/x/spans.jsonl"]).filePath, "/tmp/x/spans.jsonl")
        XCTAssertEqual(ExporterConfig.from(environment: ["CHAIN_SPAN_FILE": "  "]).filePath, ".run/spans.jsonl")
        for (v, want) in [("true", true), ("TRUE", true), (" True ", true), ("false", false), ("1", false), ("yes", false)] {
            XCTAssertEqual(ExporterConfig.from(environment: ["OTEL_SDK_DISABLED": v]).disabled, want, v)
        }
    }

    func testResourceFromEnvironment() {
        func attrs(_ r: ExportResource) -> [String: AttributeValue] {
            Dictionary(r.attributes.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        }
        var r = resourceFromEnvironment([:], serviceName: "user-service", serviceVersion: "1.0.0")
        var a = attrs(r)
        XCTAssertEqual(r.attributes.first?.key, "service.name")
        XCTAssertEqual(a["service.name"], .string("user-service"))
        XCTAssertEqual(a["service.version"], .string("1.0.0"))
        XCTAssertEqual(a["process.pid"], .int(Int64(getpid())))
        XCTAssertEqual(a["telemetry.sdk.name"], .string("chain"))
        XCTAssertEqual(a["telemetry.sdk.language"], .string("swift"))
        XCTAssertEqual(a["telemetry.sdk.version"], .string(telemetrySDKVersion))
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        XCTAssertEqual(a["host.name"], .string(String(cString: host)))
        guard case .string(let id)? = a["service.instance.id"] else { return XCTFail("no instance id") }
        let parts = id.split(separator: "-").map(\.count)
        XCTAssertEqual(parts, [8, 4, 4, 4, 12], id)
        XCTAssertTrue(id.allSatisfy { "0123456789abcdef-".contains($0) }, id)
        XCTAssertEqual(Array(id)[14], "4", id)
        XCTAssertEqual(r.attributes.count, Set(r.attributes.map(\.key)).count, "no duplicate keys")
        let other = attrs(resourceFromEnvironment([:], serviceName: "x", serviceVersion: "1"))
        XCTAssertNotEqual(other["service.instance.id"], a["service.instance.id"])

        r = resourceFromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs, deployment.environment=stag%20ing,team=core,service.version=9"],
                                    serviceName: "user-service", serviceVersion: "1.0.0")
        a = attrs(r)
        XCTAssertEqual(a["service.name"], .string("from-attrs"))
        XCTAssertEqual(a["deployment.environment"], .string("stag ing"))
        XCTAssertEqual(a["team"], .string("core"))
        XCTAssertEqual(a["service.version"], .string("9"))
        XCTAssertEqual(r.attributes.count, Set(r.attributes.map(\.key)).count, "no duplicate keys")

        r = resourceFromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs", "OTEL_SERVICE_NAME": "from-name"],
                                    serviceName: "user-service", serviceVersion: "1.0.0")
        XCTAssertEqual(attrs(r)["service.name"], .string("from-name"))

        // Malformed: the whole variable is discarded.
        for bad in ["a=1,broken", "a=1,=2", "a=%G1", "a=%E2%9C"] {
            r = resourceFromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": bad], serviceName: "svc", serviceVersion: "1")
            XCTAssertNil(attrs(r)["a"], bad)
            XCTAssertEqual(attrs(r)["service.name"], .string("svc"), bad)
        }
    }

    func testRetryPolicy() {
        let p = RetryPolicy(maxRetries: 5)
        XCTAssertEqual((0 ..< 9).map { p.ceiling(retry: $0).milliseconds }, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000])
        XCTAssertEqual(p.ceiling(retry: 1000), .seconds(5))
        var rng = SystemRandomNumberGenerator()
        for retry in 0 ..< 8 {
            var seenLow = false, seenHigh = false
            for _ in 0 ..< 400 {
                let d = p.backoff(retry: retry, using: &rng)
                XCTAssertLessThanOrEqual(d, p.ceiling(retry: retry))
                if d.nanoseconds < p.ceiling(retry: retry).nanoseconds / 4 { seenLow = true }
                if d.nanoseconds > p.ceiling(retry: retry).nanoseconds * 3 / 4 { seenHigh = true }
            }
            XCTAssertTrue(seenLow && seenHigh, "full jitter spreads over [0, ceiling] (retry \(retry))")
        }
        XCTAssertEqual((400 ..< 600).filter { RetryPolicy.isRetryable(status: $0) }, [429, 502, 503, 504])

        XCTAssertEqual(RetryPolicy.parseRetryAfter("1", nowWallNanos: 0), .seconds(1))
        XCTAssertEqual(RetryPolicy.parseRetryAfter(" 120 ", nowWallNanos: 0), .seconds(120))
        XCTAssertEqual(RetryPolicy.parseRetryAfter("0", nowWallNanos: 0), .zero)
        let date = "Sun, 06 Nov 1994 08:49:37 GMT"  // 784111777
        XCTAssertEqual(RetryPolicy.parseIMFFixdate(date), 784_111_777)
        XCTAssertEqual(RetryPolicy.parseIMFFixdate("Thu, 01 Jan 1970 00:00:00 GMT"), 0)
        XCTAssertEqual(RetryPolicy.parseIMFFixdate("Tue, 29 Feb 2028 23:59:59 GMT"), 1_835_481_599)
        XCTAssertEqual(RetryPolicy.parseRetryAfter(date, nowWallNanos: 784_111_772 * 1_000_000_000), .seconds(5))
        XCTAssertEqual(RetryPolicy.parseRetryAfter(date, nowWallNanos: 784_111_999 * 1_000_000_000), .zero)
        for bad in ["soon", "-1", "1.5", "", "Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT",
                    "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT"] {
            XCTAssertNil(RetryPolicy.parseRetryAfter(bad, nowWallNanos: 0), bad)
        }
    }

    func testGzipRoundTrip() {
        let g = GzipCompressor()
        var out: [UInt8] = []
        for input in [[UInt8](), Array("hello hello hello hello".utf8), (0 ..< 200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }] {
            XCTAssertTrue(g.compress(input, into: &out))
            XCTAssertEqual(Array(out.prefix(2)), [0x1F, 0x8B], "gzip magic")
            XCTAssertEqual(Gzip.decompress(out), input)
        }
        XCTAssertNil(Gzip.decompress([0x1F, 0x8B, 0, 1, 2]))
    }

    func testPartialSuccessParsing() {
        func response(_ body: [UInt8], _ ct: String?) -> BlockingHTTPClient.Response {
            .init(status: 200, retryAfter: nil, contentType: ct, body: body)
        }
        XCTAssertEqual(SpanExporter<SpanRecord>.rejectedSpans(response([], nil)), 0)
        // partial_success { rejected_spans: 7, error_message: "x" }
        XCTAssertEqual(SpanExporter<SpanRecord>.rejectedSpans(response([0x0A, 0x05, 0x08, 0x07, 0x12, 0x01, 0x78], "application/x-protobuf")), 7)
        XCTAssertEqual(SpanExporter<SpanRecord>.rejectedSpans(response([0xFF], "application/x-protobuf")), 0)
        let json = Array(#"{"partialSuccess": {"rejectedSpans": "12", "errorMessage": "no"}}"#.utf8)
        XCTAssertEqual(SpanExporter<SpanRecord>.rejectedSpans(response(json, "application/json; charset=utf-8")), 12)
        XCTAssertEqual(SpanExporter<SpanRecord>.rejectedSpans(response(Array("{}".utf8), "application/json")), 0)
    }

    func testParentDirectoriesAreCreated() throws {
        let dir = try TestSupport.makeTempDir()
        defer { TestSupport.removeTree(dir) }
        let sink = SpanFileSink(path: "\(dir)/a/b//c/spans.jsonl")
        XCTAssertNil(sink.append(Array("one\n".utf8)))
        XCTAssertNil(sink.append(Array("two\n".utf8)))
        sink.close()
        XCTAssertEqual(TestSupport.readText("\(dir)/a/b/c/spans.jsonl"), "one\ntwo\n")
        let blocked = SpanFileSink(path: "\(dir)/a/b/c/spans.jsonl/x.jsonl")  // a file in the way
        XCTAssertNotNil(blocked.append(Array("x\n".utf8)))
    }

    func testDisabledExporterDoesNothing() throws {
        var c = ExporterConfig()
        c.disabled = true
        let q = ExporterSpanQueue()
        q.push(ExporterTestSupport.spans(0 ..< 3))
        let e = q.exporter(c)
        try e.start()
        e.shutdown(deadline: Instant.now() + .seconds(1))
        XCTAssertEqual(q.count, 3)
        XCTAssertEqual(e.spansExported, 0)
    }
}
