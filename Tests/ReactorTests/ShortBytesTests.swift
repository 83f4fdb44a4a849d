import XCTest
@testable import Reactor

final class ShortBytesTests: XCTestCase {
    /// Every length up to past the inline limit, from every alignment to every alignment: the
    /// bytes copied are the source's, and no byte around the destination changes.
    func testCopiesExactlyTheBytesAsked() {
        let source = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for n in 0...40 {
            for from in 0..<8 {
                for to in 0..<8 {
                    var dest = [UInt8](repeating: 0xEE, count: 64)
                    source.withUnsafeBytes { src in
                        dest.withUnsafeMutableBytes { dst in
                            ShortBytes.copy(dst.baseAddress! + to, src.baseAddress! + from, n)
                        }
                    }
                    var expected = [UInt8](repeating: 0xEE, count: 64)
                    expected.replaceSubrange(to..<(to + n), with: source[from..<(from + n)])
                    XCTAssertEqual(dest, expected, "n \(n), from \(from), to \(to)")
                }
            }
        }
    }

    /// Every length, and a difference at every place of it: `equal` agrees with comparing the
    /// arrays, at unaligned starts too.
    func testEqualFindsEveryDifference() {
        let base = (0..<48).map { UInt8(truncatingIfNeeded: $0 &* 53 &+ 7) }
        for n in 0...40 {
            for start in [0, 3] {
                for place in -1..<n {   // -1: no difference
                    var other = base
                    if place >= 0 { other[start + place] ^= 0x10 }
                    let same = base.withUnsafeBytes { a in
                        other.withUnsafeBytes { b in ShortBytes.equal(a.baseAddress! + start, b.baseAddress! + start, n) }
                    }
                    XCTAssertEqual(same, place < 0, "n \(n), start \(start), difference at \(place)")
                }
            }
        }
    }
}
