// Helpers for the OTLP tests: files, child processes (posix_spawn + waitpid: Foundation.Process
// hangs on inherited pipes here), and a tiny JSON writer for the checker's expectation files.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import XCTest

enum OTLPTestSupport {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The repository root, from this file's real path (the test file may be reached through a symlink).
    static func repoRoot(file: String = #filePath) -> String {
        var path = file
        if let r = realpath(file, nil) {
            path = String(cString: r)
            free(r)
        }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TelemetryTests/<file>.swift
        return parts.joined(separator: "/")
    }

    static func makeTempDir() throws -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/otlp-test.XXXXXX".utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure(description: "mkdtemp: errno \(errno)")
        }
        return String(cString: p)
    }

    static func removeTree(_ dir: String) {
        if let d = opendir(dir) {
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink("\(dir)/\(name)") }
            }
            closedir(d)
        }
        rmdir(dir)
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Failure(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "write \(path): errno \(errno)")
            }
            off += n
        }
    }

    static func readFile(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += chunk[0 ..< n]
        }
        return out
    }

    static func readText(_ path: String) -> String {
        String(decoding: readFile(path), as: UTF8.self)
    }

    /// Runs `argv` (argv[0] is a path) with stdin from /dev/null and stdout/stderr into files, in its
    /// own process group; waits at most `timeout` seconds (then kills the group). Returns the exit
    /// status, or 128 + signal when killed by a signal.
    /// Runs `argv` with stdout and stderr to files (posix_spawn + waitpid; see ExporterTestSupport).
    static func run(_ argv: [String], stdout: String, stderr: String, timeout: Double) throws -> Int32 {
        try ExporterTestSupport.run(argv, stdout: stdout, stderr: stderr, timeout: timeout)
    }

    /// The python of the repo's OTLP venv (scripts/otlp-venv.sh creates it on first use).
    /// Skips only when `python3 -m venv` is unavailable (exit 3) and CI is not "true".
    static func venvPython(dir: String) throws -> String {
        let root = repoRoot()
        let script = "\(root)/scripts/otlp-venv.sh"
        let out = "\(dir)/venv.out", err = "\(dir)/venv.err"
        let status = try run(["/bin/bash", script], stdout: out, stderr: err, timeout: 900)
        let isCI = getenv("CI").map { String(cString: $0) } == "true"
        if status == 3 && !isCI {
            throw XCTSkip("python3 -m venv is unavailable: \(readText(err))")
        }
        guard status == 0 else {
            throw Failure(description: "\(script) exited \(status): \(readText(err))")
        }
        let lines = readText(out).split(separator: "\n")
        guard let last = lines.last, last.hasPrefix("/") else {
            throw Failure(description: "\(script) printed no python path: \(readText(out))")
        }
        return String(last)
    }
}

/// Just enough JSON to write the checker's expectation file. Deliberately not the encoder's writer:
/// it escapes every non-ASCII scalar as \uXXXX (surrogate pairs above U+FFFF).
indirect enum TJSON {
    case object([(String, TJSON)])
    case array([TJSON])
    case string(String)
    case number(String)  // already formatted: an Int64/UInt64 description
    case bool(Bool)

    static func int<T: BinaryInteger>(_ v: T) -> TJSON { .number("\(v)") }

    var text: String {
        switch self {
        case .object(let members):
            return "{" + members.map { TJSON.quote($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
        case .array(let items):
            return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .string(let s): return TJSON.quote(s)
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        func u(_ v: UInt32) {
            let h = String(v, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        }
        for scalar in s.unicodeScalars {
            let v = scalar.value
            if v == 0x22 { out += "\\\"" } else if v == 0x5C { out += "\\\\" } else if v >= 0x20 && v < 0x7F {
                out.unicodeScalars.append(scalar)
            } else if v > 0xFFFF {
                let x = v - 0x10000
                u(0xD800 + (x >> 10))
                u(0xDC00 + (x & 0x3FF))
            } else {
                u(v)
            }
        }
        return out + "\""
    }
}
