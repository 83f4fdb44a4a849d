import XCTest
@testable import Reactor

final class DecimalTextTests: XCTestCase {
    private func text(_ v: Int64) -> String {
        var bytes = [UInt8](repeating: 0xEE, count: DecimalText.maxBytes + 1)
        let n = bytes.withUnsafeMutableBytes { DecimalText.write(v, to: $0.baseAddress!) }
        XCTAssertEqual(bytes[n], 0xEE, "\(v): a byte past the count was written")
        return String(decoding: bytes[0..<n], as: UTF8.self)
    }

    /// The edges (zero, the extremes, every power of ten and its neighbours, both signs) and
    /// random values: the same text as Swift's own.
    func testMatchesSwiftsDescription() {
        var values: [Int64] = [0, 1, -1, .max, .min, .max - 1, .min + 1]
        var p: Int64 = 1
        for _ in 0..<18 {
            p *= 10
            values += [p - 1, p, p + 1, -(p - 1), -p, -(p + 1)]
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { values.append(Int64.random(in: .min ... .max, using: &rng) >> Int64.random(in: 0...62, using: &rng)) }
        for v in values { XCTAssertEqual(text(v), String(v)) }
    }
}
