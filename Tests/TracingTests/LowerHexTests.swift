import XCTest
@testable import Tracing

/// The ids' hex digits are read and written eight at a time (`LowerHex.read8`/`write8`). Checked
/// against the standard library's radix conversion on random values, and with every byte value
/// at every position of an id.
final class LowerHexTests: XCTestCase {
    func testWritesAndReadsBackWhatTheStandardLibraryDoes() {
        var rng = SystemRandomNumberGenerator()
        let edges: [UInt64] = [0, 1, 9, 10, 15, 16, 0xFFFF_FFFF, 0x1_0000_0000, .max, .max - 1,
                               0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210]
        for v in edges + (0..<2000).map({ _ in UInt64.random(in: .min ... .max, using: &rng) }) {
            var out = [UInt8](repeating: 0, count: 16)
            out.withUnsafeMutableBytes { LowerHex.write(v, count: 16, to: $0.baseAddress!) }
            let want = String(v, radix: 16)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), String(repeating: "0", count: 16 - want.count) + want)
            XCTAssertEqual(out.withUnsafeBytes { LowerHex.read($0, at: 0, count: 16) }, v)
        }
    }

    func testEveryByteAtEveryPositionIsJudgedAsTheSpecSays() {
        let valid = Set("0123456789abcdef".utf8)
        let base = Array("0f1e2d3c4b5a6978".utf8)
        for position in 0..<16 {
            for byte in UInt8.min ... UInt8.max {
                var digits = base
                digits[position] = byte
                // Read from inside a larger buffer, at an odd offset: the loads are unaligned.
                let padded = [UInt8(ascii: "x")] + digits + [UInt8(ascii: "x")]
                let got = padded.withUnsafeBytes { LowerHex.read($0, at: 1, count: 16) }
                if valid.contains(byte) {
                    XCTAssertEqual(got, UInt64(String(decoding: digits, as: UTF8.self), radix: 16), "byte \(byte) at \(position)")
                } else {
                    XCTAssertNil(got, "byte \(byte) at \(position)")
                }
            }
        }
    }

    func testShortReadsAtTheEndOfTheBufferAreRefused() {
        let digits = Array("0123456789abcde".utf8)   // 15: one short
        XCTAssertNil(digits.withUnsafeBytes { LowerHex.read($0, at: 0, count: 16) })
    }
}
