import Glibc
import HTTP1
import Reactor
import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

/// The server span of real requests over loopback: parent from traceparent, attributes,
/// status, and the handler's access to its request's span.
final class ServerTracingTests: XCTestCase {
    func testServerSpansOverLoopback() throws {
        let router = Router()
        let tracer = Tracer(sampler: Sampler(), enabled: true)
        router.add(.POST, "/process") { req, res in
            let server = req.context.span!
            let child = tracer.start("validate_user", kind: .internal, parent: tracer.context(of: server))
            tracer.end(child)
            let body = Array("{\"trace_id\":\"\(server.traceID.hexString)\"}".utf8)
            res.respond(status: 200, body: body)
        }
        router.add(.GET, "/fail") { _, res in res.respond(status: 502, body: "{}") }
        let server = try TracedTestServer(router, tracer: tracer)
        defer { server.stop() }
        let reply = try loopbackExchange(server.port, """
            POST /process HTTP/1.1\r\nHost: x\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\
            Content-Length: 2\r\n\r\n{}GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n
            """)
        XCTAssertTrue(reply.contains("{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}"), reply)

        // The last reply can arrive before its span is ended: drain until the four are there.
        var spans: [ExportSpan] = []
        eventually(timeout: .seconds(5)) {
            spans += tracer.ring.drainExported()
            return spans.count >= 4
        }
        XCTAssertEqual(spans.map(\.name), ["validate_user", "POST /process", "GET", "GET /fail"], "the spans after 5 s")
        guard spans.count == 4 else { return }
        let child = spans[0], post = spans[1], notFound = spans[2], fail = spans[3]
        XCTAssertEqual(post.kind, .server)
        XCTAssertEqual(post.parentSpanID, 0x00f067aa0ba902b7)
        XCTAssertTrue(post.parentIsRemote)
        XCTAssertEqual(child.parentSpanID, post.spanID)
        XCTAssertEqual(post.traceID.0, 0x4bf92f3577b34da6)
        func attr(_ s: ExportSpan, _ k: String) -> AttributeValue? { s.attributes.first { $0.key == k }?.value }
        XCTAssertEqual(attr(post, "http.request.method"), .string("POST"))
        XCTAssertEqual(attr(post, "url.path"), .string("/process"))
        XCTAssertEqual(attr(post, "http.route"), .string("/process"))
        XCTAssertEqual(attr(post, "http.response.status_code"), .int(200))
        XCTAssertEqual(post.status, .unset)
        XCTAssertEqual(attr(notFound, "http.response.status_code"), .int(404))
        XCTAssertNil(attr(notFound, "http.route"))
        XCTAssertNotEqual(notFound.traceID.0, post.traceID.0, "no traceparent: a new trace")
        XCTAssertEqual(fail.status, .error)
        XCTAssertEqual(fail.events.first?.name, "exception")
    }

    /// The handler's parent context from the request's trace headers, found in one pass: one
    /// `traceparent` (any case) continues the trace with the whole `tracestate`, split over two
    /// fields; two `traceparent` fields are ambiguous and start a new trace.
    func testTraceHeadersReachTheHandler() throws {
        let router = Router()
        let tracer = Tracer(sampler: Sampler(), enabled: true)
        router.add(.GET, "/ctx") { req, res in
            let p = req.context.traceParent!
            res.respond(status: 200, body: Array("\(p.traceID.hexString) \(p.traceState.headerValue)|".utf8))
        }
        let server = try TracedTestServer(router, tracer: tracer)
        defer { server.stop() }
        let one = "TraceParent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
        let two = one + "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
        let reply = try loopbackExchange(server.port, """
            GET /ctx HTTP/1.1\r\nHost: x\r\ntracestate: rojo=1\r\n\(one)TRACESTATE: congo=2\r\n\r\n\
            GET /ctx HTTP/1.1\r\nHost: x\r\n\(two)tracestate: rojo=1\r\nConnection: close\r\n\r\n
            """)
        let bodies = reply.split(separator: "\r\n\r\n").dropFirst().map { $0.prefix { $0 != "|" } }
        XCTAssertEqual(bodies.count, 2, reply)
        guard bodies.count == 2 else { return }
        XCTAssertEqual(bodies[0], "4bf92f3577b34da6a3ce929d0e0e4736 rojo=1,congo=2")
        XCTAssertFalse(bodies[1].hasPrefix("4bf92f3577b34da6a3ce929d0e0e4736"), "two traceparents: a new trace")
        XCTAssertFalse(bodies[1].hasPrefix("0af7651916cd43dd8448eb211c80319c"))
        XCTAssertTrue(bodies[1].hasSuffix(" "), "and no tracestate without a parent: \(bodies[1])")
    }
}
