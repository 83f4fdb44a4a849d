// Byte-level tests of the protobuf writer/reader and of both OTLP encodings, against bytes and text
// worked out by hand from the protobuf encoding rules and the OTLP/JSON rules.

import XCTest
@testable import Tracing
@testable import Metrics
@testable import OTLPExport

final class OTLPWireTests: XCTestCase {
    /// Runs `body` on a ProtoWriter for an encoding of `capacity` bytes (the buffer has the
    /// writer's slack past it) and returns what it wrote.
    func written(capacity: Int, _ body: (inout ProtoWriter) -> Void) -> [UInt8] {
        var buf = [UInt8](repeating: 0xEE, count: capacity + ProtoWriter.slack)
        let used = buf.withUnsafeMutableBufferPointer { b -> Int in
            var w = ProtoWriter(base: b.baseAddress!, length: capacity)
            body(&w)
            return w.position
        }
        return Array(buf[0 ..< used])
    }

    func testVarint() {
        let known: [(UInt64, [UInt8])] = [
            (0, [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x80, 0x01]), (150, [0x96, 0x01]),
            (300, [0xAC, 0x02]), (16_383, [0xFF, 0x7F]), (16_384, [0x80, 0x80, 0x01]),
            (UInt64(UInt32.max), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            (UInt64(Int64.max), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        ]
        for (v, bytes) in known {
            XCTAssertEqual(written(capacity: 10) { $0.varint(v) }, bytes, "varint \(v)")
            XCTAssertEqual(ProtoSize.varint(v), bytes.count, "size of varint \(v)")
            bytes.withUnsafeBytes { raw in
                var r = ProtoReader(raw)
                XCTAssertEqual(r.varint(), v)
                XCTAssertTrue(r.atEnd)
            }
        }
        for shift in 0 ..< 64 {
            let v = UInt64(1) << UInt64(shift)
            XCTAssertEqual(ProtoSize.varint(v), shift / 7 + 1, "size of 1<<\(shift)")
            XCTAssertEqual(ProtoSize.varint(v - 1), max(1, (shift + 6) / 7), "size of (1<<\(shift))-1")
        }
    }

    func testFixedAndFields() {
        XCTAssertEqual(written(capacity: 8) { $0.fixed64(0x0102_0304_0506_0708) },
                       [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])
        // Double 1.0 = 0x3FF0000000000000, little-endian.
        XCTAssertEqual(written(capacity: 8) { $0.fixed64((1.0 as Double).bitPattern) },
                       [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        // Defaults are omitted...
        XCTAssertEqual(written(capacity: 16) {
            $0.varintField(10, 0); $0.stringField(5, "")
        }, [])
        // ...except where presence matters (oneof members).
        XCTAssertEqual(written(capacity: 2) { $0.stringField(1, "", always: true) }, [0x0A, 0x00])
        XCTAssertEqual(written(capacity: 2) { $0.varintField(2, 0, always: true) }, [0x10, 0x00])
        XCTAssertEqual(written(capacity: 7) { $0.stringField(2, "hé!") }, [0x12, 0x04, 0x68, 0xC3, 0xA9, 0x21])
        // Int64.min as an int64 varint: 10 bytes.
        XCTAssertEqual(written(capacity: 11) { $0.varintField(3, UInt64(bitPattern: Int64.min)) },
                       [0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
    }

    static let small = (
        resource: ExportResource(attributes: [Attribute("k", "v")]),
        span: ExportSpan(
            traceID: (0x0102_0304_0506_0708, 0x090A_0B0C_0D0E_0F10), spanID: 0x1112_1314_1516_1718,
            parentSpanID: 0, flags: 1, parentIsRemote: false, name: "n", kind: .server,
            startUnixNano: 1, endUnixNano: 2),
        record: SpanRecord.make(trace: (0x0102_0304_0506_0708, 0x090A_0B0C_0D0E_0F10), spanID: 0x1112_1314_1516_1718,
                                flags: 1, name: "n", kind: .server, start: 1, end: 2)
    )

    /// The bytes of `small.record` as one ScopeSpans.spans entry.
    static let smallSpanBytes: [UInt8] = [
        0x0A, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,  // trace_id
        0x12, 0x08, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,          // span_id
        0x2A, 0x01, 0x6E,                                                    // name "n"
        0x30, 0x02,                                                          // kind SERVER
        0x39, 1, 0, 0, 0, 0, 0, 0, 0,                                        // start 1
        0x41, 2, 0, 0, 0, 0, 0, 0, 0,                                        // end 2
        0x85, 0x01, 0x01, 0x01, 0x00, 0x00,                                  // flags 0x101
    ]

    func testProtobufKnownBytes() {
        var out: [UInt8] = [0xAA]  // encodeProtobuf appends
        SpanRecord.encodeProtobuf(resource: Self.small.resource, scopeName: "s", scopeVersion: "1",
                                  spans: [Self.small.record], into: &out)
        let span = Self.smallSpanBytes
        XCTAssertEqual(span.count, 57)
        let scopeSpans: [UInt8] = [0x0A, 0x06, 0x0A, 0x01, 0x73, 0x12, 0x01, 0x31, 0x12, 57] + span
        let resource: [UInt8] = [0x0A, 0x08, 0x0A, 0x01, 0x6B, 0x12, 0x03, 0x0A, 0x01, 0x76]
        let resourceSpans: [UInt8] = [0x0A, UInt8(resource.count)] + resource + [0x12, UInt8(scopeSpans.count)] + scopeSpans
        let request: [UInt8] = [0x0A, UInt8(resourceSpans.count)] + resourceSpans
        XCTAssertEqual(out, [0xAA] + request)
    }

    func testProtobufLengthPrefixes() {
        // 400 spans: 3-byte lengths on the request's ResourceSpans and its ScopeSpans.
        var out: [UInt8] = []
        SpanRecord.encodeProtobuf(resource: ExportResource(attributes: []), scopeName: "", scopeVersion: "",
                                  spans: Array(repeating: Self.small.record, count: 400), into: &out)
        XCTAssertEqual(out.count, 4 + 2 + 4 + 2 + 400 * (2 + Self.smallSpanBytes.count))
        // Request: tag, 3-byte length, then ResourceSpans: resource (empty), scope_spans...
        XCTAssertEqual(out[0], 0x0A)
        let total = out.withUnsafeBytes { raw -> UInt64? in
            var r = ProtoReader(raw)
            _ = r.tag()
            return r.varint()
        }
        XCTAssertEqual(total, UInt64(out.count - 4))
        XCTAssertEqual(Array(out[4 ..< 6]), [0x0A, 0x00])  // ResourceSpans.resource, empty
        XCTAssertEqual(Array(out[6 ..< 7]), [0x12])        // ResourceSpans.scope_spans
        XCTAssertEqual(Array(out[10 ..< 12]), [0x0A, 0x00])  // ScopeSpans.scope, empty
        XCTAssertEqual(out[12], 0x12)                       // ScopeSpans.spans
        // Every span is written whole, the last one right at the end.
        XCTAssertEqual(Array(out.suffix(Self.smallSpanBytes.count)), Self.smallSpanBytes)
        XCTAssertEqual(Array(out[12 ..< 14 + Self.smallSpanBytes.count]), [0x12, 57] + Self.smallSpanBytes)
    }

    func testJSONKnownText() {
        var out: [UInt8] = Array("x".utf8)
        OTLPJSON.encodeTraces(resource: Self.small.resource, scopeName: "s", scopeVersion: "1",
                              spans: [Self.small.span], into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "x" + #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"stringValue":"v"}}]},"scopeSpans":[{"scope":{"name":"s","version":"1"},"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","flags":257,"name":"n","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#)
    }

    func testJSONValues() {
        var span = Self.small.span
        span.parentSpanID = 0xAB
        span.parentIsRemote = true
        span.traceState = "a=1"
        span.attributes = [
            Attribute("s", "a\"b\\c\n\r\t\u{8}\u{C}\u{0}\u{1F}\u{7F}é😀/"),
            Attribute("min", Int64.min), Attribute("max", Int64.max), Attribute("zero", Int64(0)),
            Attribute("d", 0.1), Attribute("e", 1e-7), Attribute("negz", -0.0), Attribute("one", 1.0),
            Attribute("nan", Double.nan), Attribute("inf", Double.infinity), Attribute("ninf", -Double.infinity),
            Attribute("t", true), Attribute("f", false), Attribute("", ""),
        ]
        span.droppedAttributesCount = 4
        span.events = [ExportEvent(name: "ev", timeUnixNano: UInt64.max, attributes: [], droppedAttributesCount: 9)]
        span.droppedEventsCount = 5
        span.status = .error
        span.statusMessage = "bad"
        var out: [UInt8] = []
        OTLPJSON.encodeTraces(resource: ExportResource(attributes: []), scopeName: "", scopeVersion: "",
                              spans: [span, span], into: &out)
        let text = String(decoding: out, as: UTF8.self)
        let spanText = #"{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","traceState":"a=1","parentSpanId":"00000000000000ab","flags":769,"name":"n","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":["#
            + #"{"key":"s","value":{"stringValue":"a\"b\\c\n\r\t\b\f\u0000\u001f"# + "\u{7F}é😀/" + #""}},"#
            + #"{"key":"min","value":{"intValue":"-9223372036854775808"}},"#
            + #"{"key":"max","value":{"intValue":"9223372036854775807"}},"#
            + #"{"key":"zero","value":{"intValue":"0"}},"#
            + #"{"key":"d","value":{"doubleValue":0.1}},"#
            + #"{"key":"e","value":{"doubleValue":1e-07}},"#
            + #"{"key":"negz","value":{"doubleValue":-0.0}},"#
            + #"{"key":"one","value":{"doubleValue":1.0}},"#
            + #"{"key":"nan","value":{"doubleValue":"NaN"}},"#
            + #"{"key":"inf","value":{"doubleValue":"Infinity"}},"#
            + #"{"key":"ninf","value":{"doubleValue":"-Infinity"}},"#
            + #"{"key":"t","value":{"boolValue":true}},"#
            + #"{"key":"f","value":{"boolValue":false}},"#
            + #"{"value":{"stringValue":""}}],"#
            + #""droppedAttributesCount":4,"events":[{"timeUnixNano":"18446744073709551615","name":"ev","droppedAttributesCount":9}],"#
            + #""droppedEventsCount":5,"status":{"message":"bad","code":2}}"#
        XCTAssertEqual(text, #"{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":["# + spanText + "," + spanText + "]}]}]}")
    }

    func testEmptyBatch() {
        var proto: [UInt8] = []
        SpanRecord.encodeProtobuf(resource: ExportResource(attributes: []), scopeName: "", scopeVersion: "",
                                  spans: [], into: &proto)
        XCTAssertEqual(proto, [0x0A, 0x06, 0x0A, 0x00, 0x12, 0x02, 0x0A, 0x00])
        var json: [UInt8] = []
        OTLPJSON.encodeTraces(resource: ExportResource(attributes: []), scopeName: "", scopeVersion: "",
                              spans: [], into: &json)
        XCTAssertEqual(String(decoding: json, as: UTF8.self),
                       #"{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[]}]}]}"#)
    }

    // MARK: ExportTraceServiceResponse

    func decode(_ bytes: [UInt8]) -> (rejectedSpans: Int64, message: String)? {
        bytes.withUnsafeBytes { OTLPResponse.decodePartialSuccess($0) }
    }

    /// ExportTracePartialSuccess built with the writer: rejected_spans=1 (int64), error_message=2.
    func partialSuccess(rejected: Int64, message: String) -> [UInt8] {
        let inner = written(capacity: 64 + message.utf8.count) {
            $0.varintField(1, UInt64(bitPattern: rejected))
            $0.stringField(2, message)
        }
        return written(capacity: inner.count + 8) { w in
            w.messageHeader(1, length: inner.count)
            inner.withUnsafeBytes { raw in w.bytes(raw) }
        }
    }

    func testDecodePartialSuccess() {
        let body = partialSuccess(rejected: 3, message: "3 spans had no name ü")
        XCTAssertEqual(Array(body.prefix(4)), [0x0A, 0x1A, 0x08, 0x03])
        let r = decode(body)
        XCTAssertEqual(r?.rejectedSpans, 3)
        XCTAssertEqual(r?.message, "3 spans had no name ü")

        // Negative int64 (10-byte varint) and no message.
        let neg = decode(partialSuccess(rejected: -2, message: ""))
        XCTAssertEqual(neg?.rejectedSpans, -2)
        XCTAssertEqual(neg?.message, "")

        // Empty partial_success = full success, stated explicitly.
        let empty = decode([0x0A, 0x00])
        XCTAssertEqual(empty?.rejectedSpans, 0)
        XCTAssertEqual(empty?.message, "")

        // No partial_success at all.
        XCTAssertNil(decode([]))
        // Unknown fields (all wire types) are skipped, outside and inside.
        let unknownOutside: [UInt8] = [0x10, 0x96, 0x01, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x25, 1, 2, 3, 4, 0x2A, 0x02, 0x41, 0x42]
        XCTAssertNil(decode(unknownOutside))
        let withUnknown = unknownOutside + [0x0A, 0x0B, 0x18, 0x07, 0x08, 0x05, 0x22, 0x01, 0x7A, 0x12, 0x02, 0x6F, 0x6B]
        let u = decode(withUnknown)
        XCTAssertEqual(u?.rejectedSpans, 5)
        XCTAssertEqual(u?.message, "ok")
        // Two occurrences merge: the later scalars win, absent ones keep the earlier value.
        let merged = decode(partialSuccess(rejected: 1, message: "first") + [0x0A, 0x02, 0x08, 0x09])
        XCTAssertEqual(merged?.rejectedSpans, 9)
        XCTAssertEqual(merged?.message, "first")

        // Malformed: truncated length, truncated varint, overlong varint, group wire type, field 0.
        XCTAssertNil(decode([0x0A, 0x05, 0x08, 0x01]))
        XCTAssertNil(decode([0x0A, 0x01, 0x08]))
        XCTAssertNil(decode([0x0A, 0x0B, 0x08] + [UInt8](repeating: 0xFF, count: 10)))
        XCTAssertNil(decode([0x0B, 0x0C]))
        XCTAssertNil(decode([0x00, 0x00]))
        XCTAssertNil(decode([0x0A, 0x02, 0x12, 0x05]))
        XCTAssertNil(decode([0x0A, 0x80]))
    }
}
