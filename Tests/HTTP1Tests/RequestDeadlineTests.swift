import Reactor
import Synchronization
import XCTest
@testable import HTTP1

/// A request's deadline (`RequestContext.deadline`): the server's own `requestTimeout`, shortened
/// by the caller's `X-Chain-Deadline-Ms` only where the server trusts its callers with it.
final class RequestDeadlineTests: XCTestCase {
    static let handled = Atomic<Int>(0)

    /// The handler answers with the milliseconds its request has left.
    private func server(trustingCallers: Bool) throws -> TestServer {
        var config = TestServer.quickConfig()
        config.requestTimeout = .seconds(1)
        if trustingCallers { config.callerDeadlineHeader = "x-chain-deadline-ms" }
        return try TestServer(config: config, loops: 1) { r in
            r.add(.GET, "/left") { req, res in
                Self.handled.add(1, ordering: .relaxed)
                res.respond(status: 200, body: Array("\(req.context.remaining.milliseconds)".utf8))
            }
        }
    }

    private func left(_ server: TestServer, header: String?) throws -> (Int?, String) {
        let c = try RawClient(port: server.port)
        c.send("GET /left HTTP/1.1\r\nHost: x\r\n\(header.map { "X-Chain-Deadline-Ms: \($0)\r\n" } ?? "")\r\n")
        let r = c.readResponse()
        return (r?.status, r?.body ?? "")
    }

    func testTrustedCallerShortensTheDeadline() throws {
        let server = try server(trustingCallers: true)
        defer { _ = server.stop() }
        let (status, body) = try left(server, header: "300")
        XCTAssertEqual(status, 200)
        XCTAssertTrue((250...300).contains(Int(body) ?? -1), "300 ms from the caller, got \(body)")
        // Never longer than the server's own budget; a malformed value is ignored.
        for header in ["5000", "abc", "-5", "1234567890", ""] {
            let (s, b) = try left(server, header: header)
            XCTAssertEqual(s, 200, header)
            XCTAssertTrue((900...1000).contains(Int(b) ?? -1), "\(header): the server's 1 s, got \(b)")
        }
    }

    func testNoTimeLeftIsNotStarted() throws {
        let server = try server(trustingCallers: true)
        defer { _ = server.stop() }
        let before = Self.handled.load(ordering: .relaxed)
        let c = try RawClient(port: server.port)
        c.send("GET /left HTTP/1.1\r\nHost: x\r\nX-Chain-Deadline-Ms: 0\r\n\r\n")
        let r = c.readResponse()
        XCTAssertEqual(r?.status, 504)
        XCTAssertTrue(r?.body.contains("upstream_timeout") ?? false, r?.body ?? "")
        XCTAssertEqual(Self.handled.load(ordering: .relaxed), before, "the handler never ran")
    }

    func testUntrustedCallersCannotSetTheDeadline() throws {
        let server = try server(trustingCallers: false)
        defer { _ = server.stop() }
        for header in ["0", "300"] {
            let (s, b) = try left(server, header: header)
            XCTAssertEqual(s, 200, header)
            XCTAssertTrue((900...1000).contains(Int(b) ?? -1), "\(header) ignored, got \(b)")
        }
    }
}
