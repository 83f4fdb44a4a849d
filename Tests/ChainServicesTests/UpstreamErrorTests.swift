import HTTP1
import Postgres
import XCTest
@testable import ChainServices

/// 502 and 503 promise that nothing was committed (API.md "Retries, timeouts and idempotency"):
/// only failures before the request left, or the next service's own 502/503, are reported so;
/// once the request was written, a missing or broken answer is a 504.
final class UpstreamErrorTests: XCTestCase {
    func testNothingSentIs503AndSentWithoutAnswerIs504() {
        for e: ClientError in [.connectFailed(111), .connectTimeout, .overloaded, .shuttingDown] {
            XCTAssertEqual(upstreamError(.failure(e))?.code, .unavailable, "\(e): nothing was sent")
        }
        for e: ClientError in [.timeout, .connectionClosed, .invalidResponse(.badStatusLine)] {
            XCTAssertEqual(upstreamError(.failure(e))?.code, .upstreamTimeout, "\(e): sent, outcome unknown")
        }
    }

    func testStatementStoppedByTheServerOrNeverSentIs503() {
        // statement_timeout, lock_timeout: the batch rolled back.
        XCTAssertEqual(databaseError(.server(sqlState: "57014", message: "canceling statement due to statement timeout"), .insertOrder).code, .unavailable)
        XCTAssertEqual(databaseError(.server(sqlState: "55P03", message: "canceling statement due to lock timeout"), .insertAuditKeyed).code, .unavailable)
        XCTAssertEqual(databaseError(.notSent, .insertOrder).code, .unavailable)
        XCTAssertEqual(databaseError(.timeout, .insertOrderKeyed).code, .upstreamTimeout)
        XCTAssertEqual(databaseError(.connectionLost, .deleteOrder).code, .upstreamTimeout)
    }

    func testIdempotencyKeyBytesAndBodyHash() {
        XCTAssertTrue("AZaz09-_".utf8.allSatisfy(Idempotency.isKeyByte))
        XCTAssertFalse(" .:/+=é".utf8.contains(where: Idempotency.isKeyByte))
        let a = Array(#"{"user_id": 1, "action": "x"}"#.utf8), b = Array(#"{"user_id": 1, "action": "y"}"#.utf8)
        let ha = a.withUnsafeBytes { Idempotency.bodyHash($0) }, hb = b.withUnsafeBytes { Idempotency.bodyHash($0) }
        XCTAssertEqual(ha.count, 32)
        XCTAssertNotEqual(ha, hb)
        XCTAssertEqual(ha, a.withUnsafeBytes { Idempotency.bodyHash($0) })
        XCTAssertTrue(Idempotency.isReplayable(200) && Idempotency.isReplayable(404) && Idempotency.isReplayable(422))
        XCTAssertFalse(Idempotency.isReplayable(409) || Idempotency.isReplayable(503) || Idempotency.isReplayable(504))
    }
}
