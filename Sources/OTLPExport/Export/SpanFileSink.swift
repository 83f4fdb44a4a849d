// Where spans go when no OTLP endpoint is configured: one OTLP/JSON ExportTraceServiceRequest per
// line, appended with one write(2) on an O_APPEND descriptor (the format of the collector's file
// exporter), so several processes can share the file without interleaving lines.

import Glibc
import Tracing

final class SpanFileSink {
    let path: String
    private var fd: Int32 = -1

    init(path: String) { self.path = path }

    deinit { close() }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// Appends `line` (which should end with "\n"); nil on success, else the error text. After an
    /// error the file is reopened on the next call.
    func append(_ line: [UInt8]) -> String? {
        if fd < 0 {
            SpanFileSink.makeParentDirectories(path)
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            if fd < 0 { return "open \(path): \(String(cString: strerror(errno)))" }
        }
        var off = 0
        while off < line.count {
            let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close()
                return "write \(path): \(String(cString: strerror(e)))"
            }
            off += n
        }
        return nil
    }

    /// `mkdir -p` of the directory holding `path` (errors are left for open(2) to report).
    static func makeParentDirectories(_ path: String) {
        let u = Array(path.utf8)
        guard let lastSlash = u.lastIndex(of: UInt8(ascii: "/")), lastSlash > 0 else { return }
        for i in 1 ... lastSlash where u[i] == UInt8(ascii: "/") && u[i - 1] != UInt8(ascii: "/") {
            let dir = String(decoding: u[0 ..< i], as: UTF8.self)
            if mkdir(dir, 0o755) != 0 && errno != EEXIST { return }
        }
    }
}
