import CLibPQ

/// Blocking one-off statements for command-line tools (`chain migrate`), never for a loop:
/// PQconnectdb and PQexec wait on the network.
public enum PGBlocking {
    /// Runs `sql` (any number of statements, one implicit transaction) on a fresh connection.
    public static func execute(url: String, sql: String) throws {
        guard let conn = PQconnectdb(url) else { throw PGConfigError(message: "out of memory") }
        defer { PQfinish(conn) }
        guard PQstatus(conn) == CONNECTION_OK else {
            throw PGConfigError(message: String(cString: PQerrorMessage(conn)).trimmingSpaces.replacingNewlines)
        }
        guard let res = PQexec(conn, sql) else { throw PGConfigError(message: "no result") }
        defer { PQclear(res) }
        let status = PQresultStatus(res)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw PGConfigError(message: String(cString: PQresultErrorMessage(res)).trimmingSpaces.replacingNewlines)
        }
    }
}
