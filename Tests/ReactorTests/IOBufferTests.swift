import XCTest
@testable import Reactor

final class IOBufferTests: XCTestCase {
    func testAppendCompactAndGrowKeepBytes() {
        let b = IOBuffer(capacity: 16)
        b.append("hello, ")
        b.append("world")
        XCTAssertEqual(String(decoding: b.readable, as: UTF8.self), "hello, world")
        b.readIndex += 7
        b.compact()
        XCTAssertEqual(b.readIndex, 0)
        XCTAssertEqual(String(decoding: b.readable, as: UTF8.self), "world")
        b.append(String(repeating: "x", count: 100))   // grows past 16
        XCTAssertGreaterThanOrEqual(b.capacity, 105)
        XCTAssertEqual(b.readableCount, 105)
        XCTAssertTrue(String(decoding: b.readable, as: UTF8.self).hasPrefix("worldxxx"))
    }

    func testDecimal() {
        let b = IOBuffer(capacity: 8)
        for v in [0, 7, 42, 65536, -13, Int.max, Int.min + 1] {
            b.clear()
            b.append(decimal: v)
            XCTAssertEqual(String(decoding: b.readable, as: UTF8.self), String(v))
        }
    }

    func testPoolRecyclesOnlyStandardSize() {
        let pool = BufferPool(size: 64)
        let a = pool.take()
        a.append("abc")
        pool.give(a)
        let b = pool.take()
        XCTAssertTrue(a === b)
        XCTAssertTrue(b.isEmpty, "a recycled buffer comes back empty")
        b.reserve(1000)
        pool.give(b)
        XCTAssertFalse(pool.take() === b, "grown buffers are not kept")
    }
}
