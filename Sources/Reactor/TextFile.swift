import Glibc

/// Small text files of the kernel's (/proc, /sys): read whole, up to `limit` bytes, at start-up.
enum TextFile {
    static func read(_ path: String, limit: Int = 4096) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: limit)
        let n = fread(&buf, 1, limit, f)
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
    }

    /// `read`, without any whitespace (a sysctl's or a cgroup file's single value).
    static func value(_ path: String, limit: Int = 64) -> String? {
        read(path, limit: limit)?.filter { !$0.isWhitespace }
    }
}
