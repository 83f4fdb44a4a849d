import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class TraceContextUpdateTests: XCTestCase {
    func testInsertIntoEmpty() {
        XCTAssertEqual(TraceState().updating(key: "chain", value: "1")?.headerValue, "chain=1")
    }

    func testNewKeyIsPrepended() throws {
        let s = try XCTUnwrap(TraceState("a=1,b=2,c=3"))
        XCTAssertEqual(s.updating(key: "z", value: "0")?.headerValue, "z=0,a=1,b=2,c=3")
        XCTAssertEqual(s.updating(key: "z", value: "0")?.count, 4)
    }

    func testExistingKeyMovesToTheFront() throws {
        let s = try XCTUnwrap(TraceState("a=1,b=2,c=3"))
        XCTAssertEqual(s.updating(key: "b", value: "9")?.headerValue, "b=9,a=1,c=3")
        XCTAssertEqual(s.updating(key: "a", value: "5")?.headerValue, "a=5,b=2,c=3")
        XCTAssertEqual(s.updating(key: "c", value: "7")?.headerValue, "c=7,a=1,b=2")
    }

    func testCapAt32DropsFromTheEnd() throws {
        let full = try XCTUnwrap(TraceState(Vector.members(32)))
        let added = try XCTUnwrap(full.updating(key: "new", value: "x"))
        XCTAssertEqual(added.count, 32)
        XCTAssertEqual(added.entries.first?.key, "new")
        XCTAssertEqual(added.entries.last?.key, "k30")
        XCTAssertNil(added.value(forKey: "k31"))
        let moved = try XCTUnwrap(full.updating(key: "k31", value: "y"))
        XCTAssertEqual(moved.count, 32)
        XCTAssertEqual(moved.entries.last?.key, "k30")
        XCTAssertEqual(moved.value(forKey: "k31"), "y")
    }

    func testInvalidKeyOrValueIsRefused() throws {
        let s = try XCTUnwrap(TraceState("a=1"))
        XCTAssertNil(s.updating(key: "Bad", value: "1"))
        XCTAssertNil(s.updating(key: "ok", value: "x,y"))
        XCTAssertNil(s.updating(key: "ok", value: "x "))
        XCTAssertNil(s.updating(key: "ok", value: ""))
        XCTAssertEqual(s.updating(key: "t@sys", value: " x")?.headerValue, "t@sys= x,a=1")
    }

    func testUpdatedListParsesBackToItself() throws {
        let s = try XCTUnwrap(TraceState("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE")?.updating(key: "congo", value: "ucfJifl5GOE"))
        XCTAssertEqual(s.headerValue, "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7")
        XCTAssertEqual(TraceState(s.headerValue), s)
    }

    func testRemoving() throws {
        let s = try XCTUnwrap(TraceState("a=1,b=2,c=3"))
        XCTAssertEqual(s.removing(key: "b").headerValue, "a=1,c=3")
        XCTAssertEqual(s.removing(key: "b").count, 2)
        XCTAssertEqual(s.removing(key: "x"), s)
    }
}
