// OTLP/JSON encoding of an ExportTraceServiceRequest (POST /v1/traces, Content-Type: application/json),
// per the OTLP specification's JSON Protobuf Encoding: the proto3 JSON mapping with lowerCamelCase
// field names, except that trace_id / span_id / parent_span_id are lowercase hex (not base64), and
// enums are integers. 64-bit integers (int64, fixed64) are decimal strings; uint32/fixed32 are numbers;
// doubles are numbers, or "NaN" / "Infinity" / "-Infinity". Default values are omitted as in the
// protobuf encoder. One line, no trailing newline. Field numbers and names: see OTLPProtobuf.swift.

import Tracing

public enum OTLPJSON {
    /// Appends one ExportTraceServiceRequest as OTLP/JSON to `out`.
    public static func encodeTraces(
        resource: ExportResource, scopeName: String, scopeVersion: String,
        spans: [ExportSpan], into out: inout [UInt8]
    ) {
        var w = OTLPJSONWriter()
        swap(&w.bytes, &out)
        defer { swap(&w.bytes, &out) }
        w.bytes.reserveCapacity(w.bytes.count &+ 256 &+ spans.count &* 512)

        w.raw(#"{"resourceSpans":[{"resource":{"#)
        var first = true
        w.attributes("attributes", resource.attributes, first: &first)
        w.raw(#"},"scopeSpans":[{"scope":{"#)
        first = true
        w.stringField("name", scopeName, first: &first)
        w.stringField("version", scopeVersion, first: &first)
        w.raw(#"},"spans":["#)
        for (i, span) in spans.enumerated() {
            if i != 0 { w.byte(UInt8(ascii: ",")) }
            w.span(span)
        }
        w.raw("]}]}]}")
    }
}

struct OTLPJSONWriter {
    var bytes: [UInt8] = []

    @inline(__always)
    mutating func byte(_ b: UInt8) { bytes.append(b) }

    /// Literal ASCII (no escaping).
    @inline(__always)
    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `,"key":` (the comma unless first).
    @inline(__always)
    mutating func key(_ k: StaticString, first: inout Bool) {
        if !first { byte(UInt8(ascii: ",")) }
        first = false
        byte(UInt8(ascii: "\""))
        raw(k)
        raw("\":")
    }

    // MARK: values

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// A JSON string literal: escapes `"`, `\` and the C0 controls; DEL and non-ASCII pass as UTF-8.
    mutating func string(_ s: String) {
        byte(UInt8(ascii: "\""))
        if s.utf8.withContiguousStorageIfAvailable({ escaped($0) }) == nil {
            var copy = s
            copy.withUTF8 { escaped($0) }
        }
        byte(UInt8(ascii: "\""))
    }

    private mutating func escaped(_ src: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var i = 0
        while i < src.count {
            let c = src[i]
            if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") {
                i &+= 1
                continue
            }
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: src[runStart ..< i])) }
            byte(UInt8(ascii: "\\"))
            switch c {
            case UInt8(ascii: "\""): byte(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): byte(UInt8(ascii: "\\"))
            case 0x08: byte(UInt8(ascii: "b"))
            case 0x0C: byte(UInt8(ascii: "f"))
            case 0x0A: byte(UInt8(ascii: "n"))
            case 0x0D: byte(UInt8(ascii: "r"))
            case 0x09: byte(UInt8(ascii: "t"))
            default:
                raw("u00")
                Self.hexDigits.withUTF8Buffer { hex in
                    byte(hex[Int(c >> 4)])
                    byte(hex[Int(c & 0xF)])
                }
            }
            i &+= 1
            runStart = i
        }
        if runStart < src.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: src[runStart...])) }
    }

    /// Unsigned decimal digits, no quotes.
    mutating func decimal(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch on the stack (20 needed)
        withUnsafeMutableBytes(of: &digits) { buf in
            var v = value
            var p = buf.count
            repeat {
                p &-= 1
                buf[p] = UInt8(truncatingIfNeeded: v % 10) &+ UInt8(ascii: "0")
                v /= 10
            } while v != 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[p...]))
        }
    }

    /// Signed decimal digits, no quotes.
    mutating func decimal(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        decimal(value.magnitude)
    }

    /// 16 lowercase hex digits of `value` (big-endian order), no quotes.
    mutating func hex64(_ value: UInt64) {
        Self.hexDigits.withUTF8Buffer { hex in
            var shift: UInt64 = 60
            while true {
                byte(hex[Int((value >> shift) & 0xF)])
                if shift == 0 { break }
                shift -= 4
            }
        }
    }

    mutating func double(_ d: Double) {
        if d.isNaN {
            raw("\"NaN\"")
        } else if d.isInfinite {
            if d < 0 { raw("\"-Infinity\"") } else { raw("\"Infinity\"") }
        } else {
            // Swift's description is the shortest round-trip form ("1.0", "1e-07", "-0.0", "5e-324"):
            // all valid JSON numbers.
            bytes.append(contentsOf: d.description.utf8)
        }
    }

    // MARK: fields (omitted at their default value)

    mutating func stringField(_ k: StaticString, _ s: String, first: inout Bool) {
        guard !s.isEmpty else { return }
        key(k, first: &first)
        string(s)
    }

    /// uint32 / fixed32 / enum: a JSON number.
    mutating func numberField(_ k: StaticString, _ v: Int64, first: inout Bool) {
        guard v != 0 else { return }
        key(k, first: &first)
        decimal(v)
    }

    /// int64 / fixed64: a decimal string.
    mutating func uint64StringField(_ k: StaticString, _ v: UInt64, first: inout Bool) {
        guard v != 0 else { return }
        key(k, first: &first)
        byte(UInt8(ascii: "\""))
        decimal(v)
        byte(UInt8(ascii: "\""))
    }

    mutating func attributes(_ k: StaticString, _ attributes: [Attribute], first: inout Bool) {
        guard !attributes.isEmpty else { return }
        key(k, first: &first)
        byte(UInt8(ascii: "["))
        for (i, a) in attributes.enumerated() {
            if i != 0 { byte(UInt8(ascii: ",")) }
            byte(UInt8(ascii: "{"))
            var f = true
            stringField("key", a.key, first: &f)
            key("value", first: &f)
            switch a.value {  // AnyValue oneof: always written, even at its default
            case .string(let s): raw(#"{"stringValue":"#); string(s)
            case .bool(let b): raw(#"{"boolValue":"#); if b { raw("true") } else { raw("false") }
            case .int(let v): raw(#"{"intValue":""#); decimal(v); byte(UInt8(ascii: "\""))
            case .double(let d): raw(#"{"doubleValue":"#); double(d)
            }
            raw("}}")
        }
        byte(UInt8(ascii: "]"))
    }

    mutating func span(_ s: ExportSpan) {
        raw(#"{"traceId":""#)
        hex64(s.traceID.0)
        hex64(s.traceID.1)
        raw(#"","spanId":""#)
        hex64(s.spanID)
        byte(UInt8(ascii: "\""))
        var f = false
        stringField("traceState", s.traceState, first: &f)
        if s.parentSpanID != 0 {
            raw(#","parentSpanId":""#)
            hex64(s.parentSpanID)
            byte(UInt8(ascii: "\""))
        }
        numberField("flags", Int64(s.otlpFlags), first: &f)
        stringField("name", s.name, first: &f)
        numberField("kind", Int64(s.kind.rawValue), first: &f)
        uint64StringField("startTimeUnixNano", s.startUnixNano, first: &f)
        uint64StringField("endTimeUnixNano", s.endUnixNano, first: &f)
        attributes("attributes", s.attributes, first: &f)
        numberField("droppedAttributesCount", Int64(s.droppedAttributesCount), first: &f)
        if !s.events.isEmpty {
            raw(#","events":["#)
            for (i, e) in s.events.enumerated() {
                if i != 0 { byte(UInt8(ascii: ",")) }
                byte(UInt8(ascii: "{"))
                var g = true
                uint64StringField("timeUnixNano", e.timeUnixNano, first: &g)
                stringField("name", e.name, first: &g)
                attributes("attributes", e.attributes, first: &g)
                numberField("droppedAttributesCount", Int64(e.droppedAttributesCount), first: &g)
                byte(UInt8(ascii: "}"))
            }
            byte(UInt8(ascii: "]"))
        }
        numberField("droppedEventsCount", Int64(s.droppedEventsCount), first: &f)
        if s.status != .unset || !s.statusMessage.isEmpty {
            raw(#","status":{"#)
            var g = true
            stringField("message", s.statusMessage, first: &g)
            numberField("code", Int64(s.status.rawValue), first: &g)
            byte(UInt8(ascii: "}"))
        }
        byte(UInt8(ascii: "}"))
    }
}
