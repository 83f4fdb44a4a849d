import HTTP1
import Postgres
import Tracing
import Metrics

/// `Idempotency-Key` of `POST /process` (API.md "Retries, timeouts and idempotency").
/// user-service keeps each key in `idempotency_keys`: claimed by one statement before any work
/// (`SQL.claimKey`), then finished with the outcome (200 or 4xx, replayed to later requests) or
/// released for another attempt (5xx). What travels down the chain is the key's `token`, in the
/// same header: order-service and audit-service write their row and a (service, token) row in
/// one statement, so a second attempt with the token finds the first one's row instead of
/// writing another (`SQL.insertOrderKeyed`, `SQL.insertAuditKeyed`).
enum Idempotency {
    static let header: StaticString = "idempotency-key"

    enum Key {
        case none
        case invalid
        case key(String)

        /// The key (or, down the chain, the token), if a valid one came.
        var value: String? {
            if case .key(let k) = self { return k }
            return nil
        }
    }

    /// API.md: 1-64 characters of [A-Za-z0-9_-].
    static func key(_ req: Request) -> Key {
        guard let v = req.header(header) else { return .none }
        guard (1...64).contains(v.count), v.allSatisfy(isKeyByte) else { return .invalid }
        return .key(String(decoding: v, as: UTF8.self))
    }

    static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 95
    }

    static let invalidKey = ErrorBody(.invalidRequest, "Idempotency-Key must be 1-64 characters of A-Z, a-z, 0-9, '-' and '_'")

    /// What "the same body" is compared by: two independent 64-bit FNV-1a lanes over the bytes,
    /// 32 hex digits. Keys are the client's own, so this guards against mistakes, not forgery.
    static func bodyHash(_ body: UnsafeRawBufferPointer) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x6c62_272e_07bb_0142
        for byte in body {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_0197
        }
        b = (b ^ UInt64(body.count)) &* 0x0000_0100_0000_0197
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 32)
        for i in 0..<16 {
            out[15 - i] = hex[Int((a >> (UInt64(i) * 4)) & 0xf)]
            out[31 - i] = hex[Int((b >> (UInt64(i) * 4)) & 0xf)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The claim's answer (`SQL.claimKey`).
    enum Claim {
        case claimed(token: String)
        case replay(status: UInt16, body: String)
        case mismatch
        case inFlight
    }

    static func claim(_ rows: PGRows) -> Claim {
        guard rows.count == 1 else { return .inFlight }   // a concurrent claim committed after our snapshot
        switch rows.string(0, 0) {
        case "claimed": return .claimed(token: rows.string(0, 1))
        case "replay": return .replay(status: UInt16(clamping: rows.int(0, 2)), body: rows.string(0, 3))
        case "mismatch": return .mismatch
        default: return .inFlight
        }
    }

    static let mismatch = ErrorBody(.idempotencyMismatch, "the Idempotency-Key was used before with a different body")
    static let inFlight = ErrorBody(.idempotencyInFlight, "a request with the same Idempotency-Key is still being processed")

    /// Whether an answer is final for its key (API.md: 200 and 4xx are replayed). A 409 is not:
    /// the request it stands for is still running.
    static func isReplayable(_ status: UInt16) -> Bool {
        status == 200 || (status >= 400 && status < 500 && status != 409)
    }
}

extension ServiceLoop {
    func countIdempotency(_ outcome: String) {
        guard let metrics else { return }
        metrics.idempotencyRequests.handle(loop: loop.index, [service.rawValue, outcome]).inc()
    }
}
