import Glibc
import HTTP1
import Reactor
import Synchronization
import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

/// A full open-span table (overload) costs a request its span record, never its trace context
/// or its latency observation.
final class TracerOverflowTests: XCTestCase {
    final class Box: @unchecked Sendable {
        let observed = Mutex<[(status: UInt16, traceID: String?)]>([])   // written on the loop
    }

    func testFullTableKeepsContextAndCountsTheDrop() throws {
        let t = Tracer(openCapacity: 2, sampler: Sampler(), enabled: true)
        let held = [t.start("a", kind: .server, parent: nil), t.start("b", kind: .server, parent: nil)]
        let parent = try XCTUnwrap(TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let s = t.start("c", kind: .server, parent: parent)
        XCTAssertFalse(s.isRecording)
        XCTAssertEqual(t.counters.dropped.value, 1)
        XCTAssertTrue(t.isOpen(s), "a context-only slot")
        XCTAssertEqual(s.traceID, parent.traceID)
        let child = t.start("d", kind: .client, parent: t.context(of: s))
        XCTAssertEqual(child.traceID, parent.traceID)
        t.end(child)
        t.end(s)
        XCTAssertFalse(t.isOpen(s), "ended")
        for h in held { t.end(h) }
        // Record slots come back first; the overflow slot is reused, not grown again.
        for _ in 0..<100 {
            let x = t.start("x", kind: .server, parent: nil), y = t.start("y", kind: .server, parent: nil)
            let z = t.start("z", kind: .server, parent: nil)
            XCTAssertTrue(x.isRecording && y.isRecording)
            XCTAssertTrue(t.isOpen(z))
            t.end(z); t.end(y); t.end(x)
        }
        XCTAssertEqual(t.counters.dropped.value, 102)
    }

    func testOverflowCapacityBoundsTheContextSlots() {
        let t = Tracer(openCapacity: 1, overflowCapacity: 2, sampler: Sampler(), enabled: true)
        let spans = (0..<4).map { _ in t.start("s", kind: .server, parent: nil) }
        XCTAssertEqual(spans.map { $0.slot >= 0 }, [true, true, true, false])
        XCTAssertTrue(spans[3].traceID.isValid, "past every slot the span still has a context to answer with")
    }

    /// Over loopback: the table filled, a request with a traceparent still answers with its trace
    /// id, propagates it, and is measured.
    func testRequestWithFullTableIsTracedAndMeasured() throws {
        let tracer = Tracer(openCapacity: 1, sampler: Sampler(), enabled: true)
        let occupant = tracer.start("occupant", kind: .internal, parent: nil)   // before the loop starts
        let box = Box()
        let router = Router()
        router.add(.POST, "/process") { req, res in
            let server = req.context.span
            let trace = server?.traceID.hexString ?? ""
            let outgoing = server.map { tracer.start("POST", kind: .client, parent: tracer.context(of: $0)) }
            let traceparent = outgoing?.traceParent ?? ""
            if let outgoing { tracer.end(outgoing) }
            res.respond(status: 200, body: Array("{\"trace_id\":\"\(trace)\",\"traceparent\":\"\(traceparent)\"}".utf8))
        }
        let server = try TracedTestServer(router, tracer: tracer) { server, group in
            server.tracing(on: group.loops[0])!.onRequestEnded = { _, status, _, span, _ in
                box.observed.withLock { $0.append((status, span?.traceID.hexString)) }
            }
        }
        defer { server.stop() }
        let reply = try loopbackExchange(server.port, """
            POST /process HTTP/1.1\r\nHost: x\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\
            Content-Length: 2\r\nConnection: close\r\n\r\n{}
            """)
        XCTAssertTrue(reply.contains("\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""), reply)
        XCTAssertTrue(reply.contains("\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-"), reply)
        XCTAssertTrue(eventually(timeout: .seconds(3)) { box.observed.withLock { $0.count } == 1 }, "the request was measured")
        let observed = box.observed.withLock { $0 }
        XCTAssertEqual(observed.first?.status, 200)
        XCTAssertEqual(observed.first?.traceID, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(tracer.counters.dropped.value, 2, "the server span and the client span lost their records")
        XCTAssertEqual(tracer.counters.started.value, 3)
        _ = occupant
    }
}

/// Sends `text` on a fresh loopback connection and reads until the server closes (5 s at most).
func loopbackExchange(_ port: Int, _ text: String) throws -> String {
    guard let fd = ChainProcess.connectLoopback(port) else { throw SystemError.errno("connect 127.0.0.1:\(port)") }
    defer { close(fd) }
    ChainProcess.send(fd, text)
    return ChainProcess.readAll(fd)
}
