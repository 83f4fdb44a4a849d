import Glibc
import Reactor
import ChainTestSupport
import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

/// Telemetry settings that cannot work are named at start instead of replaced by defaults.
final class TelemetryEnvironmentTests: XCTestCase {
    func testValidSettingsPass() {
        XCTAssertEqual(TelemetryEnvironment.problems([:]), [])
        XCTAssertEqual(TelemetryEnvironment.problems([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": " http://[::1]:4318/v1/traces ",
            "OTEL_EXPORTER_OTLP_HEADERS": "api-key=secret,x=1%202",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "5000", "OTEL_EXPORTER_OTLP_COMPRESSION": "GZIP",
            "OTEL_BSP_SCHEDULE_DELAY": "0", "OTEL_BSP_EXPORT_TIMEOUT": "30000",
            "OTEL_BSP_MAX_QUEUE_SIZE": "2048", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512",
            "OTEL_TRACES_SAMPLER": "ParentBased_TraceIdRatio", "OTEL_TRACES_SAMPLER_ARG": "0.25",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=dev", "OTEL_SDK_DISABLED": "false",
            "CHAIN_SPAN_RING_SIZE": "4096", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "",
        ]), [])
    }

    func testEndpointThatIsNoURLIsAProblem() {
        XCTAssertEqual(TelemetryEnvironment.problems(["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"]),
                       ["OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318: not a URL of the form http://host[:port][/path]"])
        XCTAssertEqual(TelemetryEnvironment.problems(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://host:99999"]).count, 1)
        let https = TelemetryEnvironment.problems(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector:4318"])
        XCTAssertEqual(https.count, 1)
        XCTAssertTrue(https[0].contains("https is not supported"), https[0])
    }

    func testEveryMalformedValueIsNamed() {
        let p = TelemetryEnvironment.problems([
            "OTEL_EXPORTER_OTLP_TIMEOUT": "10s", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "zstd",
            "OTEL_EXPORTER_OTLP_HEADERS": "novalue", "OTEL_BSP_SCHEDULE_DELAY": "-1",
            "OTEL_BSP_EXPORT_TIMEOUT": "0", "OTEL_BSP_MAX_QUEUE_SIZE": "many",  // not read: no problem
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "0", "CHAIN_SPAN_RING_SIZE": "1e4",
            "OTEL_RESOURCE_ATTRIBUTES": "a=%zz", "OTEL_TRACES_SAMPLER": "traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "2",
        ])
        let named = p.map { String($0.prefix { $0 != "=" }) }
        XCTAssertEqual(Set(named), ["OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
                                    "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT",
                                    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "CHAIN_SPAN_RING_SIZE",
                                    "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER_ARG"], "\(p)")
        XCTAssertEqual(p.count, named.count)
    }

    func testSamplerNames() {
        let p = TelemetryEnvironment.problems(["OTEL_TRACES_SAMPLER": "jaeger_remote", "OTEL_TRACES_SAMPLER_ARG": "nonsense"])
        XCTAssertEqual(p.count, 2, "\(p)")
        XCTAssertTrue(p[0].hasPrefix("OTEL_TRACES_SAMPLER=jaeger_remote: unknown sampler; one of always_on"), p[0])
        XCTAssertEqual(TelemetryEnvironment.problems(["OTEL_TRACES_SAMPLER": "always_on", "OTEL_TRACES_SAMPLER_ARG": "x"]), [],
                       "the argument of a sampler without a ratio is not read")
    }

    func testDisabledSDKReadsNothingElse() {
        XCTAssertEqual(TelemetryEnvironment.problems(["OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "nope"]), [])
        XCTAssertEqual(TelemetryEnvironment.problems(["OTEL_SDK_DISABLED": "yes"]).count, 1)
    }
}

/// `chain serve` refuses to start on configuration that cannot work, and on a port someone
/// else serves, with the reason on standard error and a non-zero exit.
final class ChainStartupRefusalTests: XCTestCase {
    private func refusal(_ args: [String], env: [String: String] = [:]) throws -> (status: Int32, stderr: String) {
        let dir = try TestSupport.makeTempDir()
        defer { TestSupport.removeTree(dir) }
        let pid = try ChainProcess.spawn(["serve", "--host", "127.0.0.1", "--loops", "1"] + args,
                                         env: env.merging(["CHAIN_SPAN_FILE": "\(dir)/spans.jsonl"]) { a, _ in a }, dir: dir)
        let status = try TestSupport.wait(pid, timeout: 20, what: "chain serve \(args)")
        return (status, TestSupport.readText("\(dir)/chain.err"))
    }

    func testEndpointThatIsNoURLStopsTheStart() throws {
        let port = TestSupport.closedPort()
        let r = try refusal(["--port", "\(port)"], env: ["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318", "OTEL_TRACES_SAMPLER": "sometimes"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertLessThan(r.status, 128, "an exit, not a signal")
        XCTAssertTrue(r.stderr.contains("OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318: not a URL"), r.stderr)
        XCTAssertTrue(r.stderr.contains("OTEL_TRACES_SAMPLER=sometimes: unknown sampler"), r.stderr)
    }

    func testBadFlagsAndPortVariableStopTheStart() throws {
        let r = try refusal(["--shutdown-timeout", "0", "--service", "order", "--next-service-url", "127.0.0.1:5003",
                             "--database-url", "postgresql://127.0.0.1:1/x"], env: ["PORT": "50o1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("PORT=50o1: expected a port number"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--shutdown-timeout 0: expected 1 or more"), r.stderr)
        XCTAssertTrue(r.stderr.contains("next service URL 127.0.0.1:5003: expected http://host:port"), r.stderr)
    }

    func testPortServedByAnotherProcessIsRefused() throws {
        // Another server's listener, with SO_REUSEPORT as a second chain would have it.
        let foreign = try Socket.listen(SocketAddress.resolve(host: "127.0.0.1", port: 0), reusePort: true)
        defer { close(foreign) }
        let port = Socket.localPort(foreign)
        let r = try refusal(["--port", "\(port)"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("port \(port) in use"), r.stderr)
    }
}
