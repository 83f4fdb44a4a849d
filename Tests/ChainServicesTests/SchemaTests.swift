import Foundation
import XCTest
@testable import ChainServices

final class SchemaTests: XCTestCase {
    /// `chain migrate` and psql/compose load the same schema.
    func testEmbeddedSchemaMatchesInfraFile() throws {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        let file = try String(contentsOfFile: path + "/infra/schema.sql", encoding: .utf8)
        XCTAssertEqual(Schema.sql, file)
        XCTAssertTrue(Schema.sql.contains("CREATE TABLE IF NOT EXISTS audit_logs"))
    }
}
