import XCTest
@testable import ChainServices

final class DomainJSONTests: XCTestCase {
    func parse(_ s: String) throws -> JSONValue { try JSONReader.parse(s) }
    func parseBytes(_ b: [UInt8]) throws -> JSONValue { try JSONReader.parse(b) }

    func kind(_ s: String) -> JSONError.Kind? {
        do { _ = try JSONReader.parse(s); return nil } catch { return error.kind }
    }
    func kindBytes(_ b: [UInt8]) -> JSONError.Kind? {
        do { _ = try JSONReader.parse(b); return nil } catch { return error.kind }
    }

    func testScalarsAndContainers() throws {
        XCTAssertEqual(try parse(" null "), .null)
        XCTAssertEqual(try parse("true"), .bool(true))
        XCTAssertEqual(try parse("false"), .bool(false))
        XCTAssertEqual(try parse("[]"), .array([]))
        XCTAssertEqual(try parse("{}"), .object([]))
        XCTAssertEqual(try parse("[1, \"a\", [null], {\"k\": false}]"),
                       .array([.int(1), .string("a"), .array([.null]), .object([JSONMember("k", .bool(false))])]))
        XCTAssertEqual(try parse("\t\r\n{\"a\" :1 , \"b\":[ ]}\n"),
                       .object([JSONMember("a", .int(1)), JSONMember("b", .array([]))]))
    }

    func testNumbers() throws {
        XCTAssertEqual(try parse("0"), .int(0))
        XCTAssertEqual(try parse("-0"), .int(0))
        XCTAssertEqual(try parse("9223372036854775807"), .int(Int64.max))
        XCTAssertEqual(try parse("-9223372036854775808"), .int(Int64.min))
        XCTAssertEqual(try parse("9223372036854775808"), .double(9223372036854775808.0))
        XCTAssertEqual(try parse("-9223372036854775809"), .double(-9223372036854775809.0))
        XCTAssertEqual(try parse("123456789012345678901234567890"), .double(1.2345678901234568e29))
        XCTAssertEqual(try parse("1.0"), .double(1.0))
        XCTAssertEqual(try parse("1e3"), .double(1000))
        XCTAssertEqual(try parse("-2.5E-1"), .double(-0.25))
        XCTAssertEqual(try parse("1E+2"), .double(100))
        for bad in ["01", "-01", "+1", "1.", ".5", "-", "1e", "1e+", "NaN", "Infinity", "-Infinity", "0x10", "1.e5", "--1"] {
            XCTAssertNotNil(kind(bad), bad)
        }
    }

    func testEscapes() throws {
        XCTAssertEqual(try parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{c}\n\r\t"))
        XCTAssertEqual(try parse(#""\u0041\u00e9\u20AC\u0000""#), .string("Aé€\u{0}"))
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try parse(#""x\uD834\uDD1Ey""#), .string("x𝄞y"))
        XCTAssertEqual(try parse("\"héllo 😀\""), .string("héllo 😀"))
    }

    func testInvalidEscapesAndSurrogates() {
        XCTAssertEqual(kind(#""\x""#), .invalidEscape)
        XCTAssertEqual(kind(#""\'""#), .invalidEscape)
        XCTAssertEqual(kind(#""\u12""#), .invalidEscape)
        XCTAssertEqual(kind(#""\u12G4""#), .invalidEscape)
        XCTAssertEqual(kind(#""\ud83d""#), .loneSurrogate)
        XCTAssertEqual(kind(#""\ud83dx""#), .loneSurrogate)
        XCTAssertEqual(kind(#""\ud83d\u0041""#), .loneSurrogate)
        XCTAssertEqual(kind(#""\ude00""#), .loneSurrogate)
        XCTAssertEqual(kind(#""\ude00\ud83d""#), .loneSurrogate)
    }

    func testControlCharactersRejected() {
        XCTAssertEqual(kind("\"a\nb\""), .controlCharacter)
        XCTAssertEqual(kind("\"a\tb\""), .controlCharacter)
        XCTAssertEqual(kindBytes([0x22, 0x00, 0x22]), .controlCharacter)
        XCTAssertEqual(kindBytes([0x22, 0xC3, 0xA9, 0x1F, 0x22]), .controlCharacter)
    }

    func testInvalidUTF8Rejected() {
        let bad: [[UInt8]] = [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xC3, 0x22],
            [0x22, 0xED, 0xA0, 0x80, 0x22], // encoded surrogate
            [0x22, 0xE0, 0x80, 0xAF, 0x22], // overlong
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], // > U+10FFFF
            [0x22, 0x80, 0x22], [0x22, 0xE2, 0x82],
        ]
        for b in bad { XCTAssertNotNil(kindBytes(b), "\(b)") }
        XCTAssertEqual(kindBytes([0x22, 0xFF, 0x22]), .invalidUTF8)
        XCTAssertEqual(try parseBytes([0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22]), .string("😀"))
        XCTAssertNotNil(kindBytes([0xEF, 0xBB, 0xBF, 0x7B, 0x7D])) // BOM not accepted
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try parse(ok))
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        XCTAssertEqual(kind(deep), .tooDeep)
        let objs = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        XCTAssertEqual(kind(objs), .tooDeep)
        // a huge unclosed nest fails cleanly, no stack overflow
        XCTAssertEqual(kind(String(repeating: "[", count: 100_000)), .tooDeep)
    }

    func testStructuralErrors() {
        XCTAssertEqual(kind(""), .empty)
        XCTAssertEqual(kind("   "), .empty)
        XCTAssertEqual(kind("{} x"), .trailingGarbage)
        XCTAssertEqual(kind("{}{}"), .trailingGarbage)
        XCTAssertEqual(kind("1 2"), .trailingGarbage)
        for bad in ["{", "[", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "{a:1}", "{'a':1}",
                    "\"abc", "tru", "nul", "True", "[1 2]", "{\"a\" 1}", "{1:2}"] {
            XCTAssertNotNil(kind(bad), bad)
        }
    }

    func testDuplicateKeysLastWins() throws {
        let v = try parse(#"{"a":1,"b":2,"a":3}"#)
        XCTAssertEqual(v["a"], .int(3))
        XCTAssertEqual(v["b"], .int(2))
        XCTAssertNil(v["c"])
        guard case .object(let m) = v else { return XCTFail() }
        XCTAssertEqual(m.count, 3) // members are kept in order, duplicates included
    }

    /// Member names match by their code units (RFC 8259 §8.3), not by Unicode canonical
    /// equivalence as Swift's String == would: "é" written precomposed is not "e" + U+0301.
    func testMemberNamesMatchByCodeUnits() throws {
        let v = try parse("{\"\u{E9}\":1,\"e\u{301}\":2,\"id\":3,\"ids\":4}")
        XCTAssertEqual(v["\u{E9}"], .int(1))
        XCTAssertEqual(v["e\u{301}"], .int(2))
        XCTAssertEqual(v["id"], .int(3))
        XCTAssertEqual(v["ids"], .int(4))
        XCTAssertNil(v["i"])
    }

    func testWriterEscaping() {
        var w = JSONWriter()
        w.string("a\"b\\c/\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}é😀")
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "\"a\\\"b\\\\c/\\b\\f\\n\\r\\t\\u0000\\u001f\u{7f}é😀\"")
    }

    func testWriterStructureAndInts() {
        var w = JSONWriter()
        w.beginObject()
        w.field("a", Int64.max)
        w.field("b", Int64.min)
        w.field("z", Int64(0))
        w.field("n", Optional<Int64>.none)
        w.key("arr"); w.beginArray(); w.int(-1); w.bool(true); w.null(); w.beginObject(); w.endObject(); w.beginArray(); w.endArray(); w.endArray()
        w.field("t", false)
        w.endObject()
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self),
                       #"{"a":9223372036854775807,"b":-9223372036854775808,"z":0,"n":null,"arr":[-1,true,null,{},[]],"t":false}"#)
    }

    /// Every digit count of both signs, written into a writer that starts at its smallest
    /// capacity, so the digits and the escapes land across several reallocations.
    func testWriterIntWidthsAndGrowth() throws {
        var w = JSONWriter(capacity: 0)
        var expected: [JSONValue] = []
        w.beginArray()
        var p: Int64 = 1
        for _ in 0..<19 {
            for v in [p - 1, p, -p, -(p - 1), p * 9 / 10] {
                w.int(v)
                expected.append(.int(v))
            }
            p = p <= Int64.max / 10 ? p * 10 : Int64.max
        }
        for v in [Int64.max, Int64.min] { w.int(v); expected.append(.int(v)) }
        w.string(String(repeating: "\"\n", count: 300))
        expected.append(.string(String(repeating: "\"\n", count: 300)))
        w.endArray()
        XCTAssertEqual(try parseBytes(w.bytes), .array(expected))
        XCTAssertEqual(String(decoding: w.bytes.prefix(11), as: UTF8.self), "[0,1,-1,0,0")
    }

    func testRoundTripTrickyStrings() throws {
        let strings = ["", "plain", "\"", "\\", "\u{0}\u{1}\u{1f}", "\n\r\t\u{8}\u{c}", "é€😀𝄞",
                       "\u{2028}\u{2029}", "\u{7f}", "/</script>", "\u{FFFF}\u{10FFFF}", String(repeating: "ab\"", count: 1000)]
        for s in strings {
            var w = JSONWriter()
            w.beginArray(); w.string(s); w.endArray()
            XCTAssertEqual(try parseBytes(w.bytes), .array([.string(s)]), s)
        }
        let doc: JSONValue = .object([JSONMember("k\"ey\n", .array([.int(Int64.min), .string("😀"), .null, .bool(true),
                                                                       .object([JSONMember("", .double(0.5))])]))])
        var w = JSONWriter()
        w.value(doc)
        XCTAssertEqual(try parseBytes(w.bytes), doc)
    }
}
