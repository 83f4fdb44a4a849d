import XCTest
@testable import ChainServices
@testable import OTLPExport
@testable import Tracing

/// A span record keeps its attributes encoded in `SpanRecord.attributeCapacity` bytes; the
/// database CLIENT span carries the whole statement in `db.query.text`. Every statement the
/// services run, in either form, must fit with the span's other attributes: none dropped.
final class SQLSpanFitTests: XCTestCase {
    func testEveryStatementFitsItsSpanRecord() {
        for sql in SQL.allCases {
            for text in [sql.text] + (sql.multiRow.map { [$0.text] } ?? []) {
                var r = SpanRecord()
                r.add(SpanAttribute("db.system.name", .literal("postgresql")))
                r.add(SpanAttribute("db.operation.name", .literal(sql.operation)))
                r.add(SpanAttribute("db.collection.name", .literal(sql.table)))
                r.add(SpanAttribute("db.query.text", .literal(text)))
                r.add(SpanAttribute("db.operation.batch.size", .int(4096)))
                XCTAssertEqual(r.droppedAttributes, 0, "\(sql): \(text)")
                XCTAssertEqual(r.exported().attributes.first { $0.key == "db.query.text" }?.value,
                               .string(text.description), "\(sql)")
            }
        }
    }
}
