import CSystem
import Foundation
import Glibc
@testable import Reactor
import Synchronization
import XCTest

/// The default loop count follows the cores the process may really use.
final class CPUBudgetTests: XCTestCase {
    func testQuotaParsing() {
        XCTAssertNil(CPUBudget.quotaCores(cpuMax: "max 100000\n"), "no limit")
        XCTAssertEqual(CPUBudget.quotaCores(cpuMax: "150000 100000\n"), 2, "1.5 cores: 2 loops")
        XCTAssertEqual(CPUBudget.quotaCores(cpuMax: "100000 100000"), 1)
        XCTAssertEqual(CPUBudget.quotaCores(cpuMax: "20000 100000"), 1, "a fraction of a core: one loop")
        XCTAssertNil(CPUBudget.quotaCores(cpuMax: "garbage"))
        XCTAssertNil(CPUBudget.quotaCores(cpuMax: nil))
        XCTAssertNil(CPUBudget.quotaCores(quota: -1, period: 100000), "cgroup v1: -1 is no limit")
    }

    /// The least quota on the cgroup path counts (a parent's limit binds its children), v2 and v1.
    func testTheSmallestQuotaOnTheCgroupPathCounts() throws {
        let root = NSTemporaryDirectory() + "cpubudget-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/pod/ctr", withIntermediateDirectories: true)
        try "300000 100000\n".write(toFile: root + "/pod/cpu.max", atomically: true, encoding: .utf8)
        try "max 100000\n".write(toFile: root + "/pod/ctr/cpu.max", atomically: true, encoding: .utf8)
        XCTAssertEqual(CPUBudget.cgroupQuotaCores(root: root, procCgroup: "0::/pod/ctr\n"), 3)
        XCTAssertNil(CPUBudget.cgroupQuotaCores(root: root, procCgroup: "0::/elsewhere\n"))
        try FileManager.default.createDirectory(atPath: root + "/cpu", withIntermediateDirectories: true)
        try "200000\n".write(toFile: root + "/cpu/cpu.cfs_quota_us", atomically: true, encoding: .utf8)
        try "100000\n".write(toFile: root + "/cpu/cpu.cfs_period_us", atomically: true, encoding: .utf8)
        XCTAssertEqual(CPUBudget.cgroupQuotaCores(root: root, procCgroup: "0::/pod/ctr\n"), 2, "v1's quota is smaller")
    }

    /// A thread pinned to one CPU (as `taskset -c 0` pins a process) gets one loop.
    func testAffinityLimitsTheCores() {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        XCTAssertTrue((1...online).contains(CPUBudget.cores()))
        let pinned = Atomic<Int>(-1)
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            if cs_pin_thread_to_cpu(0) == 0 { pinned.store(CPUBudget.cores(), ordering: .relaxed) }
            done.signal()
        }
        t.start()
        done.wait()
        XCTAssertEqual(pinned.load(ordering: .relaxed), 1)
    }
}
