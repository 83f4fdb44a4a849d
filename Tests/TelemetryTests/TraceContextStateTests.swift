import XCTest
@testable import Telemetry

final class TraceContextStateTests: XCTestCase {
    func testSpecExample() throws {
        let s = try XCTUnwrap(parseTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"))
        XCTAssertEqual(s.count, 2)
        XCTAssertEqual(s.headerValue, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        XCTAssertEqual(s.value(forKey: "congo"), "t61rcWkgMzE")
        XCTAssertNil(s.value(forKey: "cong"))
        XCTAssertEqual(s.entries.map(\.key), ["rojo", "congo"])
    }

    func testOptionalWhitespaceIsDropped() {
        XCTAssertEqual(parseTraceState(" rojo=1 ,\tcongo=2\t")?.headerValue, "rojo=1,congo=2")
        XCTAssertEqual(parseTraceState("a=1   ,   b=2")?.headerValue, "a=1,b=2")
        XCTAssertEqual(parseTraceState("a=1 \t")?.headerValue, "a=1")
    }

    func testEmptyMembersAreSkipped() {
        XCTAssertEqual(parseTraceState("a=1,,b=2")?.headerValue, "a=1,b=2")
        XCTAssertEqual(parseTraceState(",a=1, ,")?.headerValue, "a=1")
        XCTAssertEqual(parseTraceState("")?.isEmpty, true)
        XCTAssertEqual(parseTraceState(" , \t, ")?.isEmpty, true)
    }

    func testMemberLimit() {
        XCTAssertEqual(parseTraceState(Vector.members(32))?.count, 32)
        XCTAssertNil(parseTraceState(Vector.members(33)))
        XCTAssertEqual(parseTraceState(Vector.members(32) + ",, ,")?.count, 32)
    }

    func testMultipleHeadersCombineAsIfJoinedWithCommas() {
        XCTAssertEqual(parseTraceState("a=1", "b=2")?.headerValue, "a=1,b=2")
        XCTAssertEqual(parseTraceState("a=1,b=2", "", " c=3 ")?.headerValue, "a=1,b=2,c=3")
        XCTAssertNil(parseTraceState("a=1", "a=2"))
        XCTAssertEqual(parseTraceState(Vector.members(20), Vector.members(12, prefix: "x"))?.count, 32)
        XCTAssertNil(parseTraceState(Vector.members(20), Vector.members(13, prefix: "x")))
        XCTAssertNil(parseTraceState("a=1", "b"))
    }

    func testSimpleKeyGrammar() {
        for key in ["a", "a0_-*/", "z9", String(repeating: "k", count: 256)] {
            XCTAssertNotNil(parseTraceState("\(key)=v"), key)
        }
        for key in ["0a", "_a", "A", "aB", "a.b", "a b", "a:b", "", String(repeating: "k", count: 257)] {
            XCTAssertNil(parseTraceState("\(key)=v"), key)
        }
    }

    func testMultiTenantKeyGrammar() {
        let tenant241 = "t" + String(repeating: "0", count: 240)
        let system14 = "s" + String(repeating: "_", count: 13)
        for key in ["tenant@system", "0tenant@sys", "t@s0_-*/", "9@z", "\(tenant241)@s", "t@\(system14)"] {
            XCTAssertNotNil(parseTraceState("\(key)=v"), key)
        }
        for key in ["@sys", "tenant@", "t@0sys", "a@b@c", "T@s", "t@S", "_t@s", "t@_s",
                    "\(tenant241)0@s", "t@\(system14)x", "t.x@s"] {
            XCTAssertNil(parseTraceState("\(key)=v"), key)
        }
    }

    func testValueGrammar() {
        XCTAssertNotNil(parseTraceState("a=" + String(repeating: "v", count: 256)))
        XCTAssertNil(parseTraceState("a=" + String(repeating: "v", count: 257)))
        XCTAssertEqual(parseTraceState("a=b c")?.value(forKey: "a"), "b c")
        XCTAssertEqual(parseTraceState("a= b")?.value(forKey: "a"), " b", "leading spaces belong to the value")
        XCTAssertEqual(parseTraceState("a=b  ")?.value(forKey: "a"), "b", "trailing spaces are OWS")
        XCTAssertEqual(parseTraceState("a=!~\"#")?.value(forKey: "a"), "!~\"#")
        for bad in ["a=", "a=   ", "a=b=c", "a=b\tc", "a=b\u{7F}", "a=caf\u{E9}", "a", "=v", "a =v"] {
            XCTAssertNil(parseTraceState(bad), bad.debugDescription)
        }
    }

    func testDuplicateKeysInvalidateTheWholeList() {
        XCTAssertNil(parseTraceState("a=1,a=2"))
        XCTAssertNil(parseTraceState("a=1,b=2,a=1"))
        XCTAssertNil(parseTraceState("t@s=1,t@s=2"))
        XCTAssertEqual(parseTraceState("t@s=1,s=2,t=3")?.count, 3)
        XCTAssertEqual(parseTraceState("ab=1,a=2")?.count, 2, "a prefix is a different key")
    }

    func testStringInitializer() {
        XCTAssertEqual(TraceState("a=1, b=2")?.headerValue, "a=1,b=2")
        XCTAssertNil(TraceState("A=1"))
    }
}
