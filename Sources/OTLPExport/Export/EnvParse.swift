// Small parsers for the environment variables of ExporterConfig and resourceFromEnvironment.

import Glibc
import Reactor
import Tracing

enum EnvParse {
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    static func trim(_ s: String) -> String {
        let u = Array(s.utf8)
        var i = 0, j = u.count
        while i < j && isSpace(u[i]) { i += 1 }
        while j > i && isSpace(u[j - 1]) { j -= 1 }
        return String(decoding: u[i ..< j], as: UTF8.self)
    }

    static func lower(_ s: String) -> String {
        String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// A non-negative decimal integer of milliseconds, as a TimeAmount; nil when malformed
    /// (sign, fraction, unit, overflow) or, unless `allowZero`, zero.
    static func milliseconds(_ s: String, allowZero: Bool) -> TimeAmount? {
        guard let ms = decimal(s), allowZero || ms > 0 else { return nil }
        let (ns, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? nil : .nanoseconds(ns)
    }

    static func positiveInt(_ s: String) -> Int? {
        guard let v = decimal(s), v > 0, v <= UInt64(Int32.max) else { return nil }
        return Int(v)
    }

    static func decimal(_ s: String) -> UInt64? {
        let u = Array(trim(s).utf8)
        guard !u.isEmpty, u.count <= 19 else { return nil }
        var v: UInt64 = 0
        for b in u {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + UInt64(b - 0x30)
        }
        return v
    }

    /// `%XX` sequences decoded (no `+` to space: the W3C Baggage octets). nil on a bad escape or
    /// a result that is not UTF-8.
    static func percentDecode(_ s: String) -> String? {
        let u = Array(s.utf8)
        guard u.contains(UInt8(ascii: "%")) else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "%") {
                guard i + 2 < u.count, let h = hexValue(u[i + 1]), let l = hexValue(u[i + 2]) else { return nil }
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(u[i])
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30 ... 0x39: return b - 0x30
        case 0x41 ... 0x46: return b - 0x41 + 10
        case 0x61 ... 0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// `key1=value1,key2=value2`, whitespace around keys and values trimmed, both percent-decoded,
    /// empty entries skipped. `strict`: any malformed entry makes the whole list nil; otherwise
    /// malformed entries are skipped.
    static func keyValueList(_ s: String, strict: Bool) -> [(String, String)]? {
        var out: [(String, String)] = []
        for entry in s.split(separator: ",", omittingEmptySubsequences: false) {
            let e = trim(String(entry))
            if e.isEmpty { continue }
            guard let eq = e.firstIndex(of: "="),
                  let k = percentDecode(trim(String(e[..<eq]))),
                  let v = percentDecode(trim(String(e[e.index(after: eq)...]))),
                  !k.isEmpty
            else {
                if strict { return nil }
                continue
            }
            out.append((k, v))
        }
        return out
    }

    /// OTEL_EXPORTER_OTLP_HEADERS: a key=value list; entries whose name is not an HTTP token or
    /// whose value holds control characters (after decoding) are skipped, so nothing can split
    /// the request head. Framing headers the client writes itself are skipped too.
    static func headerList(_ s: String) -> [(String, String)] {
        let reserved: Set<String> = ["host", "content-length", "content-type", "content-encoding",
                                     "transfer-encoding", "connection", "te", "upgrade", "trailer"]
        return (keyValueList(s, strict: false) ?? []).filter { k, v in
            k.utf8.allSatisfy(isTokenByte) && !reserved.contains(lower(k))
                && v.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
        }
    }

    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "A") ... UInt8(ascii: "Z"),
             UInt8(ascii: "0") ... UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    /// A random UUID (version 4) as 36 lowercase characters: `service.instance.id`.
    static func randomInstanceID() -> String {
        var rng = SystemRandomNumberGenerator()
        var b = (0 ..< 16).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        b[6] = b[6] & 0x0F | 0x40
        b[8] = b[8] & 0x3F | 0x80
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for (i, byte) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "unknown" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
