import ChainRuntime
import ArgumentParser
import ChainServices
import Glibc
import Postgres

/// `chain migrate`: creates the tables and the seed users of API.md; safe to run again.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the schema and seed data (idempotent).")

    @Option(help: "PostgreSQL URL (libpq form); DATABASE_URL by default.")
    var databaseURL: String = getenv("DATABASE_URL").map { String(cString: $0) } ?? ""

    func run() throws {
        guard !databaseURL.isEmpty else { throw ValidationError("set DATABASE_URL or --database-url") }
        // Quiet the "already exists, skipping" notices of a re-run.
        try PGBlocking.execute(url: databaseURL, sql: "SET client_min_messages = warning;\n" + Schema.sql)
        print("schema and seed data are in place")
    }
}
