import Foundation
import Postgres
import Reactor
import Synchronization
import XCTest

/// Multi-row statements (`PGStatement.multiRow`): the queries of one statement that meet in one
/// batch on one connection go as one statement, and each gets its own rows back; a row at fault
/// fails alone; the durability rules of the pipeline hold as for single statements.
final class PGMultiRowTests: XCTestCase {
    var h: PoolHarness!

    override func setUpWithError() throws {
        h = try PoolHarness(url: try PGTestEnv.requireURL(), connections: 1)
        h.waitReady()
    }

    override func tearDown() { h?.stop() }

    struct Outcome {
        var rows: [[String?]] = []
        var error: PGError?
        var run: PGRun?
    }

    /// Runs `params` of `statement` in one loop iteration (one batch); the outcomes in order.
    func runTogether(_ statement: S, _ params: [[PGParam]], deadlineNs: UInt64 = 5_000_000_000) -> [Outcome] {
        let got = Mutex<[Int: Outcome]>([:])
        XCTAssertTrue(h.onLoop(expect: params.count) { pool, done in
            for (i, p) in params.enumerated() {
                pool.query(statement.rawValue, p, deadline: pool.loop.now + .nanoseconds(deadlineNs)) { r, run in
                    var o = Outcome(run: run)
                    switch r {
                    case .success(let rows):
                        for row in 0..<rows.count {
                            o.rows.append((0..<rows.columns).map { rows.isNull(row, $0) ? nil : rows.string(row, $0) })
                        }
                    case .failure(let e): o.error = e
                    }
                    got.withLock { $0[i] = o }
                    done()
                }
            }
        })
        return got.withLock { d in (0..<params.count).map { d[$0] ?? Outcome() } }
    }

    var multiRowStatements: Int { h.pool.stats.multiRowStatements }

    func countRows(_ tag: String) -> Int64 {
        let got = runTogether(.countTrace, [[.text(tag)]])
        return Int64(got[0].rows.first?[0] ?? "-1") ?? -1
    }

    func testWritesOfOneBatchGoAsOneStatementAndEachGetsItsOwnRow() {
        let tag = uniqueTag("multi")
        let before = multiRowStatements
        let n = 200
        let got = runTogether(.insertAuditRows, (0..<n).map { [.text("\(tag)-\($0)"), .int(Int64($0)), .text(#"{"i": \#($0)}"#)] })
        XCTAssertEqual(multiRowStatements - before, 1, "one statement for the \(n) inserts")
        var lastID: Int64 = 0
        for (i, o) in got.enumerated() {
            XCTAssertNil(o.error, "query \(i)")
            XCTAssertEqual(o.rows.count, 1)
            guard let row = o.rows.first else { continue }
            // RETURNING in the queries' order: each gets the row it inserted.
            XCTAssertEqual(row[1], "\(tag)-\(i)")
            XCTAssertEqual(row[2], "\(i)")
            XCTAssertEqual(row[3], #"{"i": \#(i)}"#)
            let id = Int64(row[0] ?? "") ?? 0
            XCTAssertGreaterThan(id, lastID, "ids follow the queries' order")
            lastID = id
            XCTAssertEqual(o.run?.batchSize, n)
            XCTAssertEqual(o.run?.sql, S.insertAuditRowsMulti)
        }
        XCTAssertEqual(countRows(tag + "-7"), 1)
    }

    func testOneQueryAloneRunsTheSingleRowStatement() {
        let tag = uniqueTag("alone")
        let before = multiRowStatements
        let got = runTogether(.insertAuditRows, [[.text(tag), .int(1), .text("{}")]])
        XCTAssertNil(got[0].error)
        XCTAssertEqual(got[0].rows.first?[1], tag)
        XCTAssertEqual(got[0].run?.batchSize, 1)
        XCTAssertEqual(got[0].run?.sql, S.all[S.insertAuditRows.rawValue].sql)
        XCTAssertEqual(multiRowStatements, before)
    }

    func testMultiRowStatementsOffSendsEachAlone() throws {
        h.stop()
        h = try PoolHarness(url: try PGTestEnv.requireURL(), connections: 1) { $0.multiRowStatements = false }
        h.waitReady()
        let tag = uniqueTag("off")
        let got = runTogether(.insertAuditRows, (0..<5).map { [.text(tag), .int(Int64($0)), .text("{}")] })
        XCTAssertEqual(got.map(\.error), [nil, nil, nil, nil, nil])
        XCTAssertEqual(got.map { $0.run?.batchSize }, [1, 1, 1, 1, 1])
        XCTAssertEqual(multiRowStatements, 0)
        XCTAssertEqual(countRows(tag), 5)
    }

    /// A row the database refuses makes the multi-row statement fail; sent again one by one,
    /// the bad rows get their own errors and the others commit, once each.
    func testABadRowFailsAloneAndItsBatchMatesCommit() {
        let tag = uniqueTag("badrow")
        let before = multiRowStatements
        var params: [[PGParam]] = (0..<6).map { [.text(tag), .int(Int64($0)), .text("{}")] }
        params[2] = [.null, .int(2), .text("{}")]              // NOT NULL trace_id: 23502
        params[4] = [.text(tag), .int(4), .text("{not json")]  // invalid jsonb: 22P02
        let got = runTogether(.insertAuditRows, params)
        XCTAssertGreaterThanOrEqual(multiRowStatements - before, 1)
        XCTAssertEqual(got[2].error?.kind, "23502", "\(String(describing: got[2].error))")
        XCTAssertEqual(got[4].error?.kind, "22P02", "\(String(describing: got[4].error))")
        for i in [0, 1, 3, 5] {
            XCTAssertNil(got[i].error, "row \(i): \(String(describing: got[i].error))")
            XCTAssertEqual(got[i].rows.first?[2], "\(i)")
        }
        XCTAssertEqual(countRows(tag), 4, "each good row committed exactly once")
    }

    func testPointReadsByAnyWithAMissingAndARepeatedId() {
        let before = multiRowStatements
        let ids: [Int64] = [1, 5, 987_654_321, 1, 3]
        let got = runTogether(.selectUserRows, ids.map { [.int($0)] })
        XCTAssertEqual(multiRowStatements - before, 1)
        for (i, id) in ids.enumerated() {
            XCTAssertNil(got[i].error)
            XCTAssertEqual(got[i].run?.batchSize, ids.count)
            if id == 987_654_321 {
                XCTAssertEqual(got[i].rows.count, 0, "a missing id: no row for its query")
            } else {
                XCTAssertEqual(got[i].rows.count, 1)
                XCTAssertEqual(got[i].rows.first?[0], "\(id)")
                XCTAssertEqual(got[i].rows.first?[1], "User \(id)")
            }
        }
    }

    /// Text parameters travel inside array literals: every character that means something
    /// there arrives as it was, and NULL stays NULL (the string "NULL" stays a string).
    func testArrayTextEscapingRoundTrips() {
        let texts: [String?] = [
            #"a"b"#, #"back\slash"#, #"\""#, #"\\"#, "comma,comma", "{braces}", "}", "{", "NULL", "null", nil, "",
            " spaced ", "tab\tnew\nline\r", "héllo ✓ 😀 日本", "'single'", #"{"json": [1, "x"]}"#, "\u{7f}\u{1}", "a\\\"b,{c}",
        ]
        let ints: [Int64] = texts.indices.map { $0 % 2 == 0 ? Int64.min + Int64($0) : Int64.max - Int64($0) }
        let before = multiRowStatements
        let got = runTogether(.echoRows, texts.indices.map { [texts[$0].map { .text($0) } ?? .null, .int(ints[$0])] })
        XCTAssertEqual(multiRowStatements - before, 1)
        for (i, t) in texts.enumerated() {
            XCTAssertNil(got[i].error, "\(i): \(String(describing: got[i].error))")
            XCTAssertEqual(got[i].rows.count, 1)
            XCTAssertEqual(got[i].rows.first?[0], t, "element \(i)")
            XCTAssertEqual(got[i].rows.first?[1], "\(ints[i])")
        }
        XCTAssertEqual(PGArrayText.literal([.text(#"a"b\c"#), .null, .int(-3), .text("NULL")]), #"{"a\"b\\c",NULL,-3,"NULL"}"#)
        XCTAssertEqual(PGArrayText.literal([.int(0), .int(Int64.min), .int(Int64.max), .text(String(repeating: #"ab"\"#, count: 8))]),
                       #"{0,-9223372036854775808,9223372036854775807,""# + String(repeating: #"ab\"\\"#, count: 8) + #""}"#)
    }

    /// Binary arrays (declared element types) against the text format: the same rows for
    /// every awkward text, the integer extremes, NULLs in each column and JSON with escapes.
    func testBinaryArraysReadBackAsTheTextFormatDoes() {
        let texts: [String?] = [#"a"b"#, #"back\slash"#, "comma,comma", "{braces}", "NULL", nil, "", "tab\tnew\nline",
                                "héllo ✓ 😀 日本", "'single'", "\u{7f}\u{1}"]
        let ints: [Int64?] = [0, -1, 1, Int64.min, Int64.max, nil, 42, -9_000_000_000, 7, nil, 1 << 40]
        let json: [String?] = [#"{"a": [1, "x\"y"], "b": null}"#, "[]", "3", #""s""#, nil, #"{"é": true}"#, "{}",
                               #"[1.5, -2e3]"#, "null", #"{"k": {"n": [[]]}}"#, "false"]
        let params: [[PGParam]] = texts.indices.map { i in
            [texts[i].map { .text($0) } ?? .null, ints[i].map { .int($0) } ?? .null, json[i].map { .text($0) } ?? .null]
        }
        let before = multiRowStatements
        let binary = runTogether(.echoTyped, params)
        let text = runTogether(.echoTypedText, params)
        XCTAssertEqual(multiRowStatements - before, 2, "each as one multi-row statement")
        for i in params.indices {
            XCTAssertNil(binary[i].error, "\(i): \(String(describing: binary[i].error))")
            XCTAssertEqual(binary[i].rows.count, 1)
            XCTAssertEqual(binary[i].rows.first ?? [], text[i].rows.first ?? ["missing"], "row \(i)")
            XCTAssertEqual(binary[i].rows.first?[0], texts[i], "text \(i)")
            XCTAssertEqual(binary[i].rows.first?[1], ints[i].map { "\($0)" }, "int \(i)")
        }
    }

    /// The arrays really go in binary: with int8 declared for a `text[]`, the server refuses
    /// the array's element type (the text format would have passed), the multi-row statement
    /// fails and each query is answered alone.
    func testAMisdeclaredElementTypeIsRefusedByTheServer() {
        let got = runTogether(.echoMisdeclared, [[.int(1)], [.int(2)]])
        XCTAssertEqual(got.map { $0.rows.first?[0] }, ["1", "2"])
        XCTAssertEqual(got.map { $0.run?.isMultiRow }, [false, false], "answered alone after the binary array was refused")
        let typed = runTogether(.echoTyped, [[.text("a"), .int(1), .null], [.text("b"), .int(2), .null]])
        XCTAssertEqual(typed.map { $0.run?.isMultiRow }, [true, true])
    }

    /// A text where the statement declares int8: that array goes in text format instead, and
    /// the server parses it as before (a number reads back, anything else is its error).
    func testATextForAnIntegerColumnFallsBackToTheTextFormat() {
        let ok = runTogether(.echoTyped, [[.text("a"), .text("42"), .null], [.text("b"), .int(7), .null]])
        XCTAssertEqual(ok.map { $0.rows.first?[1] }, ["42", "7"])
        let bad = runTogether(.echoTyped, [[.text("a"), .text("forty-two"), .null], [.text("b"), .int(7), .null]])
        XCTAssertNotNil(bad[0].error, "the text is not a bigint")
        XCTAssertEqual(bad[1].rows.first?[1], "7", "its batch-mate is answered on its own")
    }

    /// A read of a failed batch is sent again, rows of another statement's error are not lost.
    func testAnotherQuerysErrorAbortsTheMultiRowStatementWhichIsSentAgain() {
        let tag = uniqueTag("aborted")
        let got = Mutex<[String]>([])
        XCTAssertTrue(h.onLoop(expect: 4) { pool, done in
            let d = pool.loop.now + .nanoseconds(5_000_000_000)
            pool.query(S.divide.rawValue, [.int(0)], deadline: d) { r in
                got.withLock { $0.append({ if case .failure(let e) = r { return "divide " + e.kind }; return "divide ok" }()) }
                done()
            }
            for i in 0..<3 {
                pool.query(S.insertAuditRows.rawValue, [.text(tag), .int(Int64(i)), .text("{}")], deadline: d) { r in
                    got.withLock { $0.append({ if case .failure(let e) = r { return "w\(i) " + e.kind }; return "w\(i) ok" }()) }
                    done()
                }
            }
        })
        XCTAssertEqual(got.withLock { $0 }.sorted(), ["divide 22012", "w0 ok", "w1 ok", "w2 ok"])
        XCTAssertEqual(countRows(tag), 3)
    }

    /// Coalesced writes queued behind a slow batch: the deadline guard fails their batch, so
    /// none runs (each `.notSent`), as for single writes. (With one batch in flight they wait in
    /// the connection instead: `PGBatchHoldTests`.)
    func testCoalescedWritesQueuedBehindASlowBatchAreStoppedByTheGuard() throws {
        h.stop()
        h = try PoolHarness(url: try PGTestEnv.requireURL(), connections: 1) {
            $0.minWriteBudget = .nanoseconds(1_600_000_000)
            $0.maxBatchesInFlight = 0
        }
        h.waitReady()
        let tag = uniqueTag("guardrows")
        let before = multiRowStatements
        let got = Mutex<[String]>([])
        XCTAssertTrue(h.onLoop(expect: 4) { pool, done in
            pool.query(S.sleep.rawValue, [.text("1")], deadline: pool.loop.now + .nanoseconds(5_000_000_000)) { r in
                got.withLock { $0.append({ if case .failure(let e) = r { return "sleep " + e.kind }; return "sleep ok" }()) }
                done()
            }
            _ = pool.loop.schedule(after: .nanoseconds(1_000_000)) {
                for i in 0..<3 {
                    pool.query(S.insertAuditRows.rawValue, [.text(tag), .int(Int64(i)), .text("{}")],
                               deadline: pool.loop.now + .nanoseconds(2_000_000_000)) { r in
                        got.withLock { $0.append({ if case .failure(let e) = r { return "write " + e.kind }; return "write ok" }()) }
                        done()
                    }
                }
            }
        })
        XCTAssertEqual(got.withLock { $0 }, ["sleep ok", "write not_sent", "write not_sent", "write not_sent"])
        XCTAssertEqual(multiRowStatements - before, 1, "they went as one statement")
        XCTAssertEqual(countRows(tag), 0, "no write ran")
    }

    /// A lost connection fails the coalesced writes in flight (outcome unknown, never re-sent);
    /// the reads of the same batch are sent again.
    func testLostConnectionFailsCoalescedWritesAndResendsReads() throws {
        let url = try PGTestEnv.requireURL()
        let direct = try PGConnectParams.parse(url)
        let proxy = try TCPProxy(targetPort: Int(direct.get("port") ?? "5432") ?? 5432)
        defer { proxy.stop() }
        h.stop()
        let viaProxy = "host=127.0.0.1 port=\(proxy.port) user=\(direct.get("user") ?? "postgres") dbname=\(direct.get("dbname") ?? "chain") connect_timeout=2"
        h = try PoolHarness(url: viaProxy, connections: 1)
        h.waitReady()
        let tag = uniqueTag("lostrows")
        let got = Mutex<[String]>([])
        let before = multiRowStatements
        XCTAssertTrue(h.onLoop(expect: 5) { pool, done in
            let d = pool.loop.now + .nanoseconds(8_000_000_000)
            func record(_ s: String) { got.withLock { $0.append(s) }; done() }
            // The sleep holds the batch on the server while the connection is cut.
            pool.query(S.sleep.rawValue, [.text("0.5")], deadline: d) { r in
                record({ if case .failure(let e) = r { return "sleep " + e.kind }; return "sleep ok" }())
            }
            for i in 0..<2 {
                pool.query(S.insertAuditRows.rawValue, [.text(tag), .int(Int64(i)), .text("{}")], deadline: d) { r in
                    record({ if case .failure(let e) = r { return "write " + e.kind }; return "write ok" }())
                }
                pool.query(S.selectUserRows.rawValue, [.int(Int64(i + 1))], deadline: d) { r in
                    record({ if case .success(let rows) = r { return "read \(rows.count)" }; return "read failed" }())
                }
            }
            _ = pool.loop.schedule(after: .nanoseconds(150_000_000)) { proxy.cutAll() }
        })
        XCTAssertEqual(got.withLock { $0 }.sorted(), ["read 1", "read 1", "sleep ok", "write connection_lost", "write connection_lost"])
        XCTAssertGreaterThanOrEqual(multiRowStatements - before, 2, "the writes and the reads each went as one statement")
        usleep(700_000)   // the server may still run the cut batch to its end
        let rows = countRows(tag)
        XCTAssertTrue(rows == 0 || rows == 2, "committed as one batch or not at all, never doubled: \(rows)")
    }

    /// Several bad rows in one failed multi-row statement: sent again alone, each in a batch of
    /// its own, every bad row gets its own error in one round and every good one commits.
    func testManyBadRowsEachFailAloneInOneRound() {
        let tag = uniqueTag("manybad")
        let params: [[PGParam]] = (0..<20).map { i in i % 3 == 1 ? [.null, .int(Int64(i)), .text("{}")] : [.text(tag), .int(Int64(i)), .text("{}")] }
        let got = runTogether(.insertAuditRows, params)
        for (i, o) in got.enumerated() {
            if i % 3 == 1 {
                XCTAssertEqual(o.error?.kind, "23502", "row \(i)")
            } else {
                XCTAssertNil(o.error, "row \(i): \(String(describing: o.error))")
                XCTAssertEqual(o.run?.batchSize, 1, "sent again alone")
            }
        }
        XCTAssertEqual(countRows(tag), 13, "the 13 good rows of 20")
    }
}
