import Glibc

/// What the process metrics read from the kernel, without Foundation.
enum ProcSelfReader {
    /// The fields of `/proc/self/stat` the metrics use (proc(5) numbering in comments).
    struct Stat {
        var threads: Double          // 20 num_threads
        var startTicks: Double       // 22 starttime, clock ticks after boot
        var virtualBytes: Double     // 23 vsize
        var residentPages: Double    // 24 rss
    }

    static func stat() -> Stat? {
        guard let text = readFile("/proc/self/stat"),
              let paren = text.utf8.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Fields after the command name, which may itself hold spaces or parentheses;
        // fields[0] is field 3 (state).
        let fields = text[text.index(after: paren)...].split(separator: " ")
        guard fields.count > 21,
              let threads = Double(fields[17]), let start = Double(fields[19]),
              let vsize = Double(fields[20]), let rss = Double(fields[21]) else { return nil }
        return Stat(threads: threads, startTicks: start, virtualBytes: vsize, residentPages: rss)
    }

    /// User plus system CPU time of all threads.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    /// Entries of /proc/self/fd, minus the descriptor used to list them.
    static func openFDs() -> Double? {
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        let own = dirfd(dir)
        var count = 0
        while let entry = readdir(dir) {
            let fd = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { Int32(String(cString: $0)) }
            }
            if let fd, fd != own { count += 1 }   // "." and ".." are not numbers
        }
        return Double(count)
    }

    static func maxFDs() -> Double? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return limit.rlim_cur == rlim_t.max ? nil : Double(limit.rlim_cur)
    }

    static var pageSize: Double { Double(sysconf(Int32(_SC_PAGESIZE))) }

    /// Start of the process in seconds since the epoch: boot time plus the start tick.
    static func startTimeSeconds() -> Double? {
        guard let ticks = stat()?.startTicks, let boot = bootTimeSeconds() else { return nil }
        return boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func bootTimeSeconds() -> Double? {
        guard let text = readFile("/proc/stat") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6))
        }
        return nil
    }

    /// A small /proc file read whole (they report a size of 0, so read until EOF).
    static func readFile(_ path: String, limit: Int = 1 << 16) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
