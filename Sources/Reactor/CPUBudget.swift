import CSystem
import Glibc

/// How many cores this process may use: the online cores, fewer if its CPU affinity allows
/// fewer (`taskset`, a cpuset) or its cgroup's CPU quota is smaller (a container's `cpus:`, a
/// pod's CPU limit), rounded up. One loop per core of the node in a pod limited to one core
/// would put every loop on the same core's time slice, throttled together.
public enum CPUBudget {
    public static func cores() -> Int {
        var n = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        if let a = affinityCount() { n = min(n, a) }
        if let q = cgroupQuotaCores() { n = min(n, q) }
        return max(1, n)
    }

    /// CPUs in the calling thread's affinity mask (a new thread inherits its creator's).
    static func affinityCount() -> Int? {
        let n = Int(cs_affinity_cpu_count())
        return n > 0 ? n : nil
    }

    /// The smallest CPU quota on the process's cgroup path, in cores rounded up: cgroup v2's
    /// `cpu.max` of its cgroup and each parent, or v1's `cpu.cfs_quota_us` / `cfs_period_us`.
    static func cgroupQuotaCores(root: String = "/sys/fs/cgroup", procCgroup: String? = TextFile.read("/proc/self/cgroup")) -> Int? {
        var least: Int?
        func take(_ q: Int?) { if let q { least = min(least ?? q, q) } }
        for line in (procCgroup ?? "").split(separator: "\n") where line.hasPrefix("0::") {
            var dir = String(line.dropFirst(3))
            while true {
                take(quotaCores(cpuMax: TextFile.read(root + (dir == "/" ? "" : dir) + "/cpu.max")))
                if dir == "/" || dir.isEmpty { break }
                dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)])
                if dir.isEmpty { dir = "/" }
            }
        }
        if let quota = TextFile.value(root + "/cpu/cpu.cfs_quota_us").flatMap({ Int($0) }),
           let period = TextFile.value(root + "/cpu/cpu.cfs_period_us").flatMap({ Int($0) }) {
            take(quotaCores(quota: quota, period: period))
        }
        return least
    }

    /// cgroup v2's `cpu.max`: "QUOTA PERIOD", or "max PERIOD" for no limit.
    static func quotaCores(cpuMax: String?) -> Int? {
        guard let parts = cpuMax?.split(whereSeparator: { $0 == " " || $0 == "\n" }), parts.count >= 2,
              let quota = Int(parts[0]), let period = Int(parts[1]) else { return nil }
        return quotaCores(quota: quota, period: period)
    }

    static func quotaCores(quota: Int, period: Int) -> Int? {
        guard quota > 0, period > 0 else { return nil }   // v1 says -1 for no limit
        return (quota + period - 1) / period
    }
}
