import Foundation
import Postgres
import Reactor
import XCTest

/// Parameters reach the server whole or not at all: libpq's text parameters are C strings, so a
/// NUL would cut a value short without an error.
final class PostgresParamTests: XCTestCase {
    var h: PoolHarness!

    override func setUpWithError() throws {
        h = try PoolHarness(url: try PGTestEnv.requireURL(), connections: 1)
        h.waitReady()
    }

    override func tearDown() { h?.stop() }

    func testTextWithANulIsRefusedNotTruncated() {
        let tag = uniqueTag("nul")
        nonisolated(unsafe) var errors: [String: PGError] = [:]
        nonisolated(unsafe) var texts: [String: String] = [:]
        XCTAssertTrue(h.onLoop(expect: 5) { pool, done in
            let d = pool.loop.now + .nanoseconds(5_000_000_000)
            func record(_ name: String) -> PGCompletion {
                return { r in   // rows are valid only inside the callback
                    switch r {
                    case .failure(let e): errors[name] = e
                    case .success(let rows): texts[name] = rows.string(0, rows.columns == 1 ? 0 : 1)   // echo: $1; types: $2
                    }
                    done()
                }
            }
            pool.query(S.types.rawValue, [.int(1), .text("a\u{0}b"), .text("{}"), .text("2026-01-01Z")], deadline: d, record("read"))
            pool.query(S.insertAudit.rawValue, [.text("\(tag)\u{0}tail"), .int(1)], deadline: d, record("write"))
            pool.query(S.types.rawValue, [.int(1), .text("a\u{1}b"), .text("{}"), .text("2026-01-01Z")], deadline: d, record("soh"))
            // Longer than a small string, the NUL last: found by the scan of the whole buffer.
            pool.query(S.types.rawValue, [.int(1), .text(String(repeating: "x", count: 64) + "\u{0}"), .text("{}"), .text("2026-01-01Z")],
                       deadline: d, record("long"))
            pool.query(S.echo.rawValue, [.int(7)], deadline: d, record("after"))
        })
        XCTAssertEqual(errors["long"], .invalidParameter(2))
        XCTAssertEqual(errors["read"], .invalidParameter(2), "got \(String(describing: texts["read"]))")
        XCTAssertEqual(errors["write"], .invalidParameter(1))
        XCTAssertEqual(texts["soh"], "a\u{1}b", "other control characters are sent whole")
        XCTAssertEqual(texts["after"], "7", "the pool keeps working: \(errors)")
        XCTAssertTrue(PGError.invalidParameter(2).description.contains("$2"))

        // Nothing was written under the tag cut at the NUL.
        nonisolated(unsafe) var count: Int64 = -1
        XCTAssertTrue(h.onLoop { pool, done in
            pool.query(S.countTrace.rawValue, [.text(tag)], deadline: pool.loop.now + .nanoseconds(5_000_000_000)) { r in
                if case .success(let rows) = r { count = rows.int(0, 0) }
                done()
            }
        })
        XCTAssertEqual(count, 0)
    }
}
