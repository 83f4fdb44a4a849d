import CLibPQ

/// Rows of one result, decoded on demand from libpq's text format. Valid only inside the
/// completion it is handed to (the PGresult is cleared right after).
public struct PGRows {
    let result: OpaquePointer?

    public var count: Int { result.map { Int(PQntuples($0)) } ?? 0 }
    public var columns: Int { result.map { Int(PQnfields($0)) } ?? 0 }

    public func isNull(_ row: Int, _ col: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(col)) != 0
    }

    /// The raw text of a field (no copy).
    public func bytes(_ row: Int, _ col: Int) -> UnsafeRawBufferPointer {
        let p = PQgetvalue(result, Int32(row), Int32(col))
        let n = PQgetlength(result, Int32(row), Int32(col))
        return UnsafeRawBufferPointer(start: p, count: Int(n))
    }

    public func string(_ row: Int, _ col: Int) -> String {
        String(decoding: bytes(row, col), as: UTF8.self)
    }

    /// int2/int4/int8 columns.
    public func int(_ row: Int, _ col: Int) -> Int64 {
        PGDecode.int64(bytes(row, col)) ?? 0
    }

    /// timestamptz as microseconds since the Unix epoch (the session runs in UTC).
    public func timestampMicros(_ row: Int, _ col: Int) -> Int64 {
        PGDecode.timestampMicros(bytes(row, col)) ?? 0
    }

    /// timestamptz as RFC 3339 in UTC, e.g. "2026-11-27T12:34:56.123456Z".
    public func timestampRFC3339(_ row: Int, _ col: Int) -> String {
        PGDecode.rfc3339(micros: timestampMicros(row, col))
    }
}
