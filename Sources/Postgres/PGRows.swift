import CLibPQ

/// Rows of one result, decoded on demand from libpq's text format. Valid only inside the
/// completion it is handed to (the PGresult is cleared right after). A query that ran as one
/// row of a multi-row statement sees only its own rows of the shared result (row 0 is its first).
public struct PGRows {
    let result: OpaquePointer?
    /// The first row of the result that is this query's, and how many are.
    let first: Int32
    let rowCount: Int32

    init(result: OpaquePointer?) {
        self.result = result
        first = 0
        rowCount = result.map { PQntuples($0) } ?? 0
    }

    init(result: OpaquePointer?, first: Int32, count: Int32) {
        self.result = result
        self.first = first
        self.rowCount = count
    }

    public var count: Int { Int(rowCount) }
    public var columns: Int { result.map { Int(PQnfields($0)) } ?? 0 }

    /// A row outside this query's rows reads as NULL (never as another query's row).
    public func isNull(_ row: Int, _ col: Int) -> Bool {
        guard row >= 0 && row < count else { return true }
        return PQgetisnull(result, first + Int32(row), Int32(col)) != 0
    }

    /// The raw text of a field (no copy).
    public func bytes(_ row: Int, _ col: Int) -> UnsafeRawBufferPointer {
        guard row >= 0 && row < count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let p = PQgetvalue(result, first + Int32(row), Int32(col))
        let n = PQgetlength(result, first + Int32(row), Int32(col))
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
