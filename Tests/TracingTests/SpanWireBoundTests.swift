import XCTest
@testable import Tracing

/// A span ends by reserving `wireSizeBound` bytes of its ring and writing itself there with
/// `writeWireBounded` (body first, its length put before it). Those bytes must be exactly the
/// field `writeWire` writes after measuring the body (`wireBytes`), which the OTLP tests decode
/// with the official protobuf package and check canonical, and never more than the bound.
final class SpanWireBoundTests: XCTestCase {
    static let long: StaticString = """
        SELECT id, name, tier FROM users WHERE id = ANY($1::bigint[]) AND name IS NOT NULL AND tier \
        IN ('standard', 'gold', 'platinum') ORDER BY id
        """

    /// Records from the smallest (a body under 128 bytes: a one-byte length) to the largest
    /// (every attribute, event, status and tracestate byte the record holds).
    static func records() -> [SpanRecord] {
        var out: [SpanRecord] = []
        var bare = SpanRecord()
        bare.traceHi = 1; bare.traceLo = 2; bare.spanID = 3; bare.kind = 1
        out.append(bare)                                     // no name, no times: 36-byte body
        var timed = bare
        timed.startUnixNano = 1_700_000_000_000_000_000
        timed.endUnixNano = 1_700_000_000_000_100_000
        timed.name = .literal("GET /health")
        out.append(timed)
        for extra in 0...InlineText.capacity {               // bodies of 76-123 bytes, then of 134-181
            var r = timed
            r.add(SpanAttribute("k", .text(InlineText(String(repeating: "v", count: extra)))))
            out.append(r)
            r.add(SpanAttribute("pad", .text(InlineText(String(repeating: "p", count: 47)))))
            out.append(r)
        }
        var full = timed
        full.parentID = 9
        full.parentIsRemote = true
        full.name = .text(InlineText(String(repeating: "n", count: 60)))
        full.traceState = InlineMessage(String(repeating: "a=b,", count: 29) + "c=d")
        full.status = 2
        full.statusMessage = InlineMessage(String(repeating: "m", count: 200))
        for i in 0..<SpanRecord.maxAttributes + 2 { full.add(SpanAttribute("db.query.text", i % 2 == 0 ? .literal(long) : .int(Int64(i)))) }
        for _ in 0..<SpanRecord.maxEvents + 1 {
            full.addEvent("item", at: 1_700_000_000_000_000_123, [
                SpanAttribute("sku", .text(InlineText(String(repeating: "s", count: 47)))),
                SpanAttribute("quantity", .int(Int64.max)), SpanAttribute("price", .double(19.99)),
            ])
        }
        out.append(full)
        return out
    }

    func testBoundedWritesAreTheMeasuredWritesAndFitTheBound() {
        var oneByteLengths = 0, twoByteLengths = 0
        for var r in Self.records() {
            withUnsafePointer(to: &r) { p in
                let want = SpanRecord.wireBytes(p)
                let bound = SpanRecord.wireSizeBound(p)
                var room = [UInt8](repeating: 0xEE, count: bound + 16)
                let n = room.withUnsafeMutableBufferPointer { SpanRecord.writeWireBounded(p, to: $0.baseAddress!) }
                XCTAssertEqual(Array(room[..<n]), want)
                XCTAssertLessThanOrEqual(n, bound)
                XCTAssertTrue(room[bound...].allSatisfy { $0 == 0xEE }, "nothing written past the bound")
                if want[1] < 0x80 { oneByteLengths += 1 } else { twoByteLengths += 1 }
            }
        }
        XCTAssertGreaterThan(oneByteLengths, 2)
        XCTAssertGreaterThan(twoByteLengths, 2)
    }

    /// Through a tracer: spans around the one-byte length's limit land in the ring whole and
    /// back to back (the room reserved past each span's end is the next span's), each three
    /// bytes longer than the last (four where its length needs a second byte).
    func testSpansEndedThroughTheRingLieBackToBack() {
        let tracer = Tracer(ringCapacity: 64, sampler: .default, enabled: true)
        let pad = String(repeating: "p", count: 47)
        for extra in stride(from: 0, to: 46, by: 3) {   // bodies from about 115 bytes to 160
            let span = tracer.start("op", kind: .internal, parent: nil)
            tracer.setAttribute(span, "pad", .text(InlineText(pad)))
            tracer.setAttribute(span, "k", .text(InlineText(String(repeating: "v", count: extra))))
            tracer.end(span)
        }
        let e = tracer.ring.peek()
        XCTAssertTrue(e.second.isEmpty)
        XCTAssertEqual(e.count, 16)
        var sizes: [Int] = []
        SpanRing.forEachEntry(in: e.first) { entry in
            XCTAssertEqual(entry[0], 2 << 3 | 2)
            sizes.append(entry.count)
        }
        XCTAssertEqual(sizes.count, 16)
        XCTAssertEqual(sizes.reduce(0, +), e.byteCount, "no gaps between spans")
        let steps = zip(sizes.dropFirst(), sizes).map { $0 - $1 }
        XCTAssertEqual(steps.filter { $0 == 4 }.count, 1, "the length grows a byte once, at 128")
        XCTAssertTrue(steps.allSatisfy { $0 == 3 || $0 == 4 })
    }
}
