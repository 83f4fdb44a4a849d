// gzip (RFC 1952) request bodies with zlib, for OTEL_EXPORTER_OTLP_COMPRESSION=gzip.

import CZlib
import Tracing

/// A reusable deflate stream in gzip framing; one per exporter thread (not thread-safe).
final class GzipCompressor {
    private var stream = z_stream()
    private var ready = false

    init(level: Int32 = Z_DEFAULT_COMPRESSION) {
        ready = czlib_deflate_init_gzip(&stream, level) == Z_OK
    }

    deinit {
        if ready { deflateEnd(&stream) }
    }

    /// Replaces `out` with the gzip member of `input`; false when zlib failed (then send uncompressed).
    func compress(_ input: [UInt8], into out: inout [UInt8]) -> Bool {
        guard ready, deflateReset(&stream) == Z_OK else { return false }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(0, count: bound))
        var rc: Int32 = Z_STREAM_ERROR
        var produced = 0
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                // zlib does not write through next_in; the stream only lives for this call.
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress ?? UnsafePointer(dst.baseAddress!))
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress
                stream.avail_out = uInt(dst.count)
                rc = deflate(&stream, Z_FINISH)
                produced = dst.count - Int(stream.avail_out)
                stream.next_in = nil
                stream.next_out = nil
            }
        }
        guard rc == Z_STREAM_END else { return false }
        out.removeLast(out.count - produced)
        return true
    }
}

enum Gzip {
    /// Decompresses one or more gzip members; nil when malformed. (Tests, and a sanity check.)
    static func decompress(_ input: [UInt8], limit: Int = 64 << 20) -> [UInt8]? {
        var s = z_stream()
        guard czlib_inflate_init_gzip(&s) == Z_OK else { return nil }
        defer { inflateEnd(&s) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var ok = false
        input.withUnsafeBufferPointer { src in
            s.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
            s.avail_in = uInt(src.count)
            while true {
                var rc: Int32 = 0
                var n = 0
                chunk.withUnsafeMutableBufferPointer { dst in
                    s.next_out = dst.baseAddress
                    s.avail_out = uInt(dst.count)
                    rc = inflate(&s, Z_NO_FLUSH)
                    n = dst.count - Int(s.avail_out)
                }
                out += chunk[0 ..< n]
                if out.count > limit { return }
                if rc == Z_STREAM_END {
                    if s.avail_in == 0 { ok = true; return }
                    guard inflateReset(&s) == Z_OK else { return }
                    continue
                }
                guard rc == Z_OK || (rc == Z_BUF_ERROR && n > 0) else { return }
            }
        }
        return ok ? out : nil
    }
}
