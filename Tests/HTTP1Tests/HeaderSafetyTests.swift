import Foundation
import HTTP1
import Reactor
import XCTest

/// Header-building APIs refuse what would end a line early (CR, LF, NUL): a value built from
/// input must never smuggle a header, a request or a response onto the wire.
final class HeaderSafetyTests: XCTestCase {
    func testExtraHeadersRefuseControlBytes() {
        var h = ExtraHeaders()
        XCTAssertTrue(h.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        XCTAssertTrue(h.add("x-tab", "a\tb  c"), "HTAB and SP are field content")
        XCTAssertTrue(h.add("x-obs", "caf\u{e9}"), "obs-text is allowed")
        let good = h.lines
        let long = String(repeating: "v", count: 80)   // past a small string: checked from its buffer
        for bad in ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\u{0}b", "\u{1}", "a\u{7f}", long + "\r\nX: y", long + "\u{0}"] {
            XCTAssertFalse(h.add("x-in", bad), "accepted \(bad.debugDescription)")
        }
        XCTAssertFalse(h.add("bad name", "v"))
        XCTAssertFalse(h.add("", "v"))
        XCTAssertEqual(h.lines, good, "a refused header leaves nothing behind")
        XCTAssertEqual(String(decoding: good, as: UTF8.self),
                       "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nx-tab: a\tb  c\r\nx-obs: caf\u{e9}\r\n")
    }

    func testClientRequestPathRules() throws {
        for ok in ["/", "/process", "/users/1?limit=2&after_id=3", "/a%20b", "//x"] {
            XCTAssertTrue(ClientRequest.isValidPath(ok), ok)
        }
        for bad in ["", "process", "/a b", "/a\r\nHost: evil", "/a\nb", "/a\u{0}", "/a#frag", "/caf\u{e9}", "*"] {
            XCTAssertFalse(ClientRequest.isValidPath(bad), bad.debugDescription)
        }
    }

    /// The client refuses such a path before any byte is sent, and goes on working.
    func testClientRefusesAnInvalidPathWithAnError() throws {
        let server = try TestServer()
        defer { _ = server.stop() }
        let group = LoopGroup(count: 1)
        try group.start { _ in }
        defer {
            nonisolated(unsafe) let l = group.loops[0]
            l.execute { l.stop() }
            _ = group.wait(until: Instant.now() + .nanoseconds(2_000_000_000))
        }
        let addr = try SocketAddress.resolve(host: "127.0.0.1", port: server.port)
        nonisolated(unsafe) var outcomes: [String] = []
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let loop = group.loops[0]
        loop.execute {
            let client = HTTPClient(loop: loop, address: addr, hostHeader: "x")
            client.send(ClientRequest(method: .GET, path: "/health\r\nX-Injected: 1"), deadline: loop.now + .nanoseconds(2_000_000_000)) { r in
                if case .failure(let e) = r { outcomes.append("\(e)") } else { outcomes.append("sent") }
                client.send(ClientRequest(method: .GET, path: "/health"), deadline: loop.now + .nanoseconds(2_000_000_000)) { r in
                    if case .response(let resp) = r { outcomes.append("\(resp.status)") } else { outcomes.append("failed") }
                    done.signal()
                }
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(outcomes, [ClientError.invalidRequest.description, "200"])
        XCTAssertEqual(ClientError.invalidRequest, .invalidRequest)
    }
}
