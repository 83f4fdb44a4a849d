// What the process-level tests of every target share: scratch directories and files, child
// processes (posix_spawn + waitpid: Foundation.Process hangs on inherited pipes here), the repo's
// OTLP venv, a port nothing listens on. One copy, so CI-vs-skip rules cannot drift apart.

import Glibc
import Synchronization
import XCTest

public enum TestSupport {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// CI set (to anything but "" / "false" / "0"): never skip, fail instead.
    public static var isCI: Bool {
        guard let v = getenv("CI").map({ String(cString: $0) }) else { return false }
        return !v.isEmpty && v != "false" && v != "0"
    }

    /// Starts `argv` (argv[0] a path) in its own process group, stdin from `stdin`, stdout and stderr to files.
    public static func spawn(_ argv: [String], stdin: String = "/dev/null", stdout: String, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attr = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
        let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cargs, environ)
        guard rc == 0 else { throw Failure(description: "posix_spawn \(argv[0]): error \(rc)") }
        return pid
    }

    /// Waits for `pid` at most `timeout` seconds (then kills its group); the exit status, or 128 + signal.
    public static func wait(_ pid: pid_t, timeout: Double, what: String) throws -> Int32 {
        var status: Int32 = 0
        let end = monotonicSeconds() + timeout
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "waitpid: errno \(errno)")
            }
            if monotonicSeconds() >= end {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw Failure(description: "\(what) did not finish within \(Int(timeout)) s")
            }
            usleep(20_000)
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    public static func run(_ argv: [String], stdin: String = "/dev/null", stdout: String, stderr: String,
                           timeout: Double) throws -> Int32 {
        try wait(spawn(argv, stdin: stdin, stdout: stdout, stderr: stderr), timeout: timeout, what: argv.joined(separator: " "))
    }

    /// Runs `argv` with `input` as its stdin; its exit status (128 + signal when killed) and its
    /// stdout followed by its stderr.
    public static func run(_ argv: [String], input: [UInt8], timeout: Double = 60) throws -> (status: Int32, output: String) {
        let dir = try makeTempDir()
        defer { removeTree(dir) }
        try writeFile("\(dir)/stdin", input)
        let status = try run(argv, stdin: "\(dir)/stdin", stdout: "\(dir)/stdout", stderr: "\(dir)/stderr", timeout: timeout)
        return (status, readText("\(dir)/stdout") + readText("\(dir)/stderr"))
    }

    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private static let venvLock = Mutex<String?>(nil)

    /// The python of the repo's OTLP venv (scripts/otlp-venv.sh makes it on first use). Skips when
    /// python3 or its venv module is missing, unless CI is set: then that is a failure.
    public static func venvPython() throws -> String {
        if let p = venvLock.withLock({ $0 }) { return p }
        let dir = try makeTempDir()
        defer { removeTree(dir) }
        let script = "\(repoRoot())/scripts/otlp-venv.sh"
        let out = "\(dir)/venv.out", err = "\(dir)/venv.err"
        let status: Int32
        do {
            status = try run(["/bin/bash", script], stdout: out, stderr: err, timeout: 900)
        } catch {
            if isCI { throw error }
            throw XCTSkip("cannot run \(script): \(error)")
        }
        if status == 3 && !isCI {
            throw XCTSkip("python3 with venv is unavailable: \(readText(err))")
        }
        guard status == 0 else {
            throw Failure(description: "\(script) exited \(status): \(readText(err))")
        }
        guard let last = readText(out).split(separator: "\n").last, last.hasPrefix("/") else {
            throw Failure(description: "\(script) printed no python path: \(readText(out))")
        }
        let p = String(last)
        venvLock.withLock { $0 = p }
        return p
    }

    /// A port on 127.0.0.1 that nothing listens on (bound, then closed).
    public static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = 0
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    /// The repository root, from this file's real path (the test file may be reached through a symlink).
    public static func repoRoot(file: String = #filePath) -> String {
        var path = file
        if let r = realpath(file, nil) {
            path = String(cString: r)
            free(r)
        }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/ChainTestSupport/<file>.swift
        return parts.joined(separator: "/")
    }

    public static func makeTempDir() throws -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/chain-test.XXXXXX".utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure(description: "mkdtemp: errno \(errno)")
        }
        return String(cString: p)
    }

    public static func removeTree(_ dir: String) {
        if let d = opendir(dir) {
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink("\(dir)/\(name)") }
            }
            closedir(d)
        }
        rmdir(dir)
    }

    public static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
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

    public static func readFile(_ path: String) -> [UInt8] {
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

    public static func readText(_ path: String) -> String {
        String(decoding: readFile(path), as: UTF8.self)
    }
}
