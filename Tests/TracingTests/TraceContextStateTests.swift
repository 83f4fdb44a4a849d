import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

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
        XCTAssertEqual(parseTraceState("a=1", "a=2")?.headerValue, "a=1")
        XCTAssertEqual(parseTraceState(Vector.members(20), Vector.members(12, prefix: "x"))?.count, 32)
        XCTAssertNil(parseTraceState(Vector.members(20), Vector.members(13, prefix: "x")))
        XCTAssertNil(parseTraceState("a=1", "b"))
    }

    /// Level 2: `( lcalpha / DIGIT ) 0*255 ( keychar )`, "@" among the keychars.
    func testKeyGrammar() {
        for key in ["a", "a0_-*/", "z9", "0a", "9", String(repeating: "k", count: 256)] {
            XCTAssertNotNil(parseTraceState("\(key)=v"), key)
        }
        for key in ["_a", "-a", "*a", "/a", "A", "aB", "a.b", "a b", "a:b", "", String(repeating: "k", count: 257)] {
            XCTAssertNil(parseTraceState("\(key)=v"), key)
        }
    }

    /// Level 1's `tenant@system` split and its 241/14 limits are gone in Level 2: "@" is a key
    /// character anywhere but first, and only the 256 total counts (the w3c suite's vendor-format
    /// and key-length cases).
    func testKeysWithAtSigns() {
        let longTenant = String(repeating: "t", count: 242) + "@v"
        let longSystem = "t@" + String(repeating: "v", count: 15)
        let level1Max = String(repeating: "t", count: 241) + "@" + String(repeating: "v", count: 14)
        for key in ["tenant@system", "0tenant@sys", "9@z", "foo@", "foo@@bar", "foo@bar@baz", "t@0sys", "t@_s",
                    longTenant, longSystem, level1Max] {
            XCTAssertEqual(parseTraceState("foo=1", "\(key)=1")?.value(forKey: key), "1", key)
            XCTAssertEqual(parseTraceState("\(key)=1,bar=2")?.value(forKey: "bar"), "2", key)
        }
        for key in ["@foo", "@", "T@s", "t@S", "_t@s", "t.x@s", "t@s.x", String(repeating: "t", count: 250) + "@vvvvvv"] {
            XCTAssertNil(parseTraceState("\(key)=1,bar=2"), key)
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

    /// The first occurrence of a key is kept and later ones are dropped, within one header or
    /// across several; the rest of the list survives (the spec lets a vendor discard duplicates).
    func testDuplicateKeysKeepTheFirstOccurrence() {
        XCTAssertEqual(parseTraceState("a=1,a=2")?.headerValue, "a=1")
        XCTAssertEqual(parseTraceState("a=1,b=2,a=1")?.headerValue, "a=1,b=2")
        XCTAssertEqual(parseTraceState("foo=1", "foo=2")?.headerValue, "foo=1")
        XCTAssertEqual(parseTraceState("t@s=1,t@s=2,x=3")?.headerValue, "t@s=1,x=3")
        XCTAssertEqual(parseTraceState("t@s=1,s=2,t=3")?.count, 3)
        XCTAssertEqual(parseTraceState("ab=1,a=2")?.count, 2, "a prefix is a different key")
        XCTAssertNil(parseTraceState("a=1,a=2,a="), "a malformed member still discards the list")
    }

    /// The 32 counts members as received: dropping a duplicate does not make room for a 33rd.
    func testDuplicatesCountTowardTheMemberLimit() {
        XCTAssertNil(parseTraceState(Vector.members(32) + ",k0=x"))
        XCTAssertEqual(parseTraceState(Vector.members(31) + ",k0=x")?.count, 31)
    }

    func testStringInitializer() {
        XCTAssertEqual(TraceState("a=1, b=2")?.headerValue, "a=1,b=2")
        XCTAssertNil(TraceState("A=1"))
    }
}
