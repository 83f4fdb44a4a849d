import XCTest
@testable import ChainServices
@testable import Tracing   // SplitMix64

/// The word-at-a-time scans against the byte-by-byte rule they replace, for every byte value at
/// every place of buffers shorter and longer than a word, so each lane of the SWAR tests and the
/// byte tail are reached.
final class JSONStringScanTests: XCTestCase {
    private func reference(_ b: [UInt8], asciiOnly: Bool) -> Int {
        b.firstIndex { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || (asciiOnly && $0 >= 0x80) } ?? b.count
    }

    private func scan(_ b: [UInt8], asciiOnly: Bool) -> Int {
        b.withUnsafeBytes { raw in raw.baseAddress.map { JSONStringScan.plainRun($0, raw.count, asciiOnly: asciiOnly) } ?? 0 }
    }

    func testEveryByteAtEveryPlace() {
        for length in [1, 7, 8, 9, 12, 15, 16, 21] {
            for place in 0..<length {
                for value in 0...255 {
                    var b = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    b[place] = UInt8(value)
                    for asciiOnly in [false, true] {
                        XCTAssertEqual(scan(b, asciiOnly: asciiOnly), reference(b, asciiOnly: asciiOnly),
                                       "byte \(value) at \(place) of \(length), asciiOnly \(asciiOnly)")
                    }
                }
            }
        }
    }

    /// Bytes next to the thresholds (0x1F/0x20, 0x21/0x22/0x23, 0x5B/0x5C/0x5D, 0x7F/0x80) in
    /// neighbouring lanes, where a borrow from one lane could flag another.
    func testNeighbouringLanes() {
        let edges: [UInt8] = [0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xFF]
        for a in edges {
            for c in edges {
                for place in 0..<15 {
                    var b = [UInt8](repeating: 0x41, count: 16)
                    b[place] = a
                    b[place + 1] = c
                    for asciiOnly in [false, true] {
                        XCTAssertEqual(scan(b, asciiOnly: asciiOnly), reference(b, asciiOnly: asciiOnly),
                                       "\(a), \(c) at \(place), asciiOnly \(asciiOnly)")
                    }
                }
            }
        }
    }

    /// Buffers of threshold bytes and letters, so most hold several stops and lanes borrow from
    /// each other, every length to past two words: the scans end where the first stop is.
    func testRandomBuffersOfStops() {
        let alphabet: [UInt8] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xFF, 0x41, 0x61]
        var rng = SplitMix64(state: 0x5EED_0051)
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 24)
            // Mostly letters, so runs of different lengths come before the first stop.
            let b = (0..<length).map { _ in rng.next() % 3 == 0 ? alphabet[Int(rng.next() % UInt64(alphabet.count))] : 0x61 }
            for asciiOnly in [false, true] {
                XCTAssertEqual(scan(b, asciiOnly: asciiOnly), reference(b, asciiOnly: asciiOnly), "\(b), asciiOnly \(asciiOnly)")
            }
        }
    }

    func testRandomTextThroughTheWriterAndReader() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\u{01}", "\u{1F}", "é", "€", "😀", "/", "\u{7F}"]
        for _ in 0..<500 {
            let s = String((0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            var w = JSONWriter()
            w.string(s)
            XCTAssertEqual(try JSONReader.parse(w.bytes), .string(s), "\(s.debugDescription)")
        }
    }
}
