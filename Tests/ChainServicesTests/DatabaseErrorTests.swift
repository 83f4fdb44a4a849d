import Postgres
import XCTest
@testable import ChainServices

/// How statement failures become API.md errors: by who caused them and whether a write's outcome
/// is known; never with the server's words.
final class DatabaseErrorTests: XCTestCase {
    func testMapping() {
        let fk = PGError.server(sqlState: "23503", message: #"insert or update on table "orders" violates foreign key constraint "orders_user_id_fkey""#)
        XCTAssertEqual(databaseError(fk, .insertOrder), ErrorBody(.invalidRequest, "user.id must name an existing user"),
                       "invalid_request names the field")
        XCTAssertEqual(databaseError(.server(sqlState: "22P02", message: "invalid input syntax"), .selectUser).code, .invalidRequest)
        XCTAssertEqual(databaseError(.server(sqlState: "23514", message: "check"), .insertUser).code, .invalidRequest)
        XCTAssertEqual(databaseError(.invalidParameter(2), .insertUser).code, .invalidRequest)
        XCTAssertEqual(databaseError(.server(sqlState: "57P01", message: "terminating connection due to administrator command"), .insertOrder).code, .unavailable)
        XCTAssertEqual(databaseError(.unavailable, .insertOrder).code, .unavailable)
        XCTAssertEqual(databaseError(.retriesExhausted, .insertAudit).code, .unavailable, "a rolled-back batch committed nothing")
        // A write that was sent and never confirmed may have committed: 504, not a retryable 503.
        XCTAssertEqual(databaseError(.timeout, .insertOrder).code, .upstreamTimeout)
        XCTAssertEqual(databaseError(.connectionLost, .insertAudit).code, .upstreamTimeout)
        XCTAssertEqual(databaseError(.timeout, .selectUser).code, .unavailable)
        XCTAssertEqual(databaseError(.connectionLost, .listOrders).code, .unavailable)

        let all: [PGError] = [fk, .server(sqlState: "57P01", message: "terminating connection"), .connectionLost, .unavailable,
                              .timeout, .retriesExhausted, .shuttingDown, .invalidParameter(1)]
        for e in all {
            for sql in SQL.allCases {
                let m = databaseError(e, sql).message
                for leak in ["23503", "57P01", "fkey", "constraint", "terminating", "server error", "$1"] {
                    XCTAssertFalse(m.contains(leak), "\(e) -> \(m)")
                }
            }
        }
    }
}
