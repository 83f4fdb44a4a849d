// Accept errors other than EMFILE (the kernel short of memory or buffers) pause the listener
// instead of spinning the loop on it. The real `chain` binary runs with an LD_PRELOAD shim
// (Tests/fixtures/accept_fails.c) that makes accept4 fail for a second.

import Glibc
import ChainTestSupport
import XCTest

final class AcceptBackoffTests: XCTestCase {
    func testENOMEMPausesAcceptingInsteadOfSpinning() throws { try check(errno: "ENOMEM") }
    func testENOBUFSPausesAcceptingInsteadOfSpinning() throws { try check(errno: "ENOBUFS") }

    private func check(errno name: String) throws {
        let dir = try TestSupport.makeTempDir()
        defer { TestSupport.removeTree(dir) }
        let shim = "\(dir)/accept_fails.so"
        let source = #filePath.replacingOccurrences(of: "HTTP1Tests/AcceptBackoffTests.swift", with: "fixtures/accept_fails.c")
        let cc = try TestSupport.run(["/usr/bin/cc", "-shared", "-fPIC", "-O1", "-o", shim, source, "-ldl"],
                                             stdout: "\(dir)/cc.out", stderr: "\(dir)/cc.err", timeout: 60)
        XCTAssertEqual(cc, 0, TestSupport.readText("\(dir)/cc.err"))
        let port = TestSupport.closedPort()
        let pid = try ChainProcess.spawn(["serve", "--port", "\(port)", "--loops", "1", "--host", "127.0.0.1"],
                                         env: ["LD_PRELOAD": shim, "FAIL_ACCEPT_MS": "1000", "FAIL_ACCEPT_ERRNO": name,
                                               "OTEL_SDK_DISABLED": "true"], dir: dir)
        defer { kill(pid, SIGKILL); _ = try? TestSupport.wait(pid, timeout: 5, what: "chain") }
        // The first connect starts the failure window; the kernel completes the handshake, the
        // connection waits in the backlog until accept4 works again.
        XCTAssertTrue(ChainProcess.waitForListener(port, pid: pid), "chain did not start: \(dir)/chain.err")
        let cpuBefore = cpuSeconds(pid)
        let t0 = TestSupport.monotonicSeconds()
        guard let fd = ChainProcess.connectLoopback(port) else { return XCTFail("no connection") }
        defer { close(fd) }
        ChainProcess.send(fd, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let answer = ChainProcess.readAll(fd)
        let waited = TestSupport.monotonicSeconds() - t0
        let cpu = cpuSeconds(pid) - cpuBefore
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), "no answer after the failures: \(answer.prefix(60))")
        XCTAssertLessThan(waited, 3, "accepting did not resume")
        XCTAssertLessThan(cpu, 0.3, "\(cpu) s of CPU during \(waited) s of \(name): the loop spun on the listener")
    }

    /// utime + stime of `pid`, in seconds.
    private func cpuSeconds(_ pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
