import HTTP1
import XCTest

final class HTTPURLTests: XCTestCase {
    private func parts(_ s: String) -> [String]? {
        HTTPURL(s).map { [$0.host, String($0.port), $0.path] }
    }

    func testIPv6LiteralLosesItsBracketsAndKeepsPortAndPath() throws {
        XCTAssertEqual(parts("http://[::1]:4318/v1/traces"), ["::1", "4318", "/v1/traces"])
        let url = try XCTUnwrap(HTTPURL("http://[::1]:4318/v1/traces"))
        XCTAssertEqual(url.hostHeader, "[::1]:4318")
        XCTAssertEqual(parts("http://[2001:db8::7]"), ["2001:db8::7", "80", ""])
        XCTAssertEqual(HTTPURL("http://[2001:db8::7]")?.hostHeader, "[2001:db8::7]")
    }

    func testNamesAndIPv4() {
        XCTAssertEqual(parts("http://user-service:8081"), ["user-service", "8081", ""])
        XCTAssertEqual(parts("http://127.0.0.1:3200/"), ["127.0.0.1", "3200", "/"])
        XCTAssertEqual(parts("HTTP://Collector:4318/x?tenant=a#frag"), ["Collector", "4318", "/x?tenant=a"])
        XCTAssertEqual(parts("http://c?q=1"), ["c", "80", "/?q=1"])
        XCTAssertEqual(HTTPURL("http://c:8080")?.hostHeader, "c:8080")
        XCTAssertEqual(HTTPURL("http://c")?.requestTarget, "/")
        XCTAssertEqual(HTTPURL("http://c/api/traces/1")?.requestTarget, "/api/traces/1")
    }

    func testRefusesWhatNoClientHereCanUse() {
        for bad in ["https://c:4318", "c:4318", "collector", "http://", "http://:4318", "http://c:0",
                    "http://c:70000", "http://c:abc", "http://c:-1", "http://c:", "http://user:pw@c:4318",
                    "grpc://c:4317", "http://[::1", "http://[::1]x", "http://[]:1", "http://c d:1",
                    "http://c%41:1", "http://::1:4318", ""] {
            XCTAssertNil(HTTPURL(bad), bad)
        }
    }
}
