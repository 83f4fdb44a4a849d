// The built `chain` binary as a child process, for the tests of what only the whole process
// does: start-up checks, signals, the shutdown budget.

import Glibc
import Reactor
import XCTest

public enum ChainProcess {
    /// The `chain` executable built beside this test bundle (`swift test` builds every product).
    public static func binary() throws -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let exe = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let path = dir + "/chain"
        guard access(path, X_OK) == 0 else {
            if TestSupport.isCI { throw TestSupport.Failure(description: "no chain binary at \(path)") }
            throw XCTSkip("no chain binary at \(path): run swift build first")
        }
        return path
    }

    /// `chain args...` with `env` added to the environment, output to files in `dir`.
    public static func spawn(_ args: [String], env: [String: String] = [:], dir: String) throws -> pid_t {
        let assignments = env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try TestSupport.spawn(["/usr/bin/env"] + assignments + [try binary()] + args,
                                             stdout: "\(dir)/chain.out", stderr: "\(dir)/chain.err")
    }

    /// Waits until something accepts connections on 127.0.0.1:`port`; false after `timeout` s
    /// or when `pid` exited first.
    public static func waitForListener(_ port: Int, pid: pid_t, timeout: Double = 20) -> Bool {
        let end = TestSupport.monotonicSeconds() + timeout
        while TestSupport.monotonicSeconds() < end {
            if kill(pid, 0) != 0 { return false }
            if let fd = connectLoopback(port) {
                close(fd)
                return true
            }
            usleep(20_000)
        }
        return false
    }

    /// A blocking connection to 127.0.0.1:`port` (5 s receive timeout), or nil.
    public static func connectLoopback(_ port: Int) -> Int32? {
        guard let addr = try? SocketAddress.resolve(host: "127.0.0.1", port: port) else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafeBytes(of: addr.storage) {
            connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), addr.length)
        }
        if rc != 0 { close(fd); return nil }
        return fd
    }

    public static func send(_ fd: Int32, _ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything until the peer closes or the receive timeout.
    public static func readAll(_ fd: Int32) -> String {
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            data += buf[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }
}
