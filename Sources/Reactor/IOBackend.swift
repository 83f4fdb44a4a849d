import CURing
import Glibc
import Synchronization

/// Which kernel interface the loops wait on: `epoll`, `uring` (io_uring), or `auto` (io_uring
/// when the kernel allows it, else epoll). Chosen once, at start-up, for every loop.
public enum IOBackend: String, Sendable, CaseIterable {
    case epoll, uring, auto

    /// The backend `auto` picks when io_uring is available (Perf/RESULTS.md, "io_uring"): epoll,
    /// because the whole chain's CPU per request decides, and there io_uring with its batched
    /// sends only ties ("io_uring levers"), though it wins on `/health`.
    static let preferred: IOBackend = .epoll

    /// The default where loops are made without an explicit choice: `CHAIN_IO_BACKEND` when set
    /// (the tests' matrix switch: scripts/test.sh runs the whole suite again with `uring`), else
    /// `auto`. An unknown value is a fatal start-up error, not a silent default.
    public static var environmentDefault: IOBackend {
        guard let v = getenv("CHAIN_IO_BACKEND").map({ String(cString: $0) }), !v.isEmpty else { return .auto }
        guard let b = IOBackend(rawValue: v) else { fatalError("CHAIN_IO_BACKEND=\(v): expected epoll, uring or auto") }
        return b
    }

    /// Why this process cannot use io_uring, or nil when it can (probed once: a ring is set up
    /// with the loops' flags and closed). The probe runs on a thread of its own: the kernel's
    /// clean-up of a closed ring interrupts the threads that used it (task work with a signal
    /// notification), which would make a blocking call with a timeout on the caller's thread
    /// return EINTR.
    public static let uringUnavailableReason: String? = {
        let rc = Atomic<Int32>(0)
        do {
            try OSThread.spawn(name: "uring-probe") {
                var ring: OpaquePointer?
                let r = cs_uring_open(&ring, 0)
                if r == 0, let ring { cs_uring_close(ring) }
                rc.store(r, ordering: .relaxed)
            }.join()
        } catch {
            return "cannot start a thread to probe io_uring: \(error)"
        }
        let r = rc.load(ordering: .relaxed)
        return r == 0 ? nil : refusal(errno: -r, disabledSysctl: TextFile.value("/proc/sys/kernel/io_uring_disabled"))
    }()

    /// The words for a refused io_uring_setup (`errno`), given kernel.io_uring_disabled.
    static func refusal(errno e: Int32, disabledSysctl: String?) -> String {
        switch e {
        case ENOSYS: return "the kernel has no io_uring (io_uring_setup: ENOSYS)"
        case EPERM:
            switch disabledSysctl {
            case "2": return "io_uring is disabled by the sysctl kernel.io_uring_disabled=2"
            case "1": return "io_uring is restricted to the io_uring_group by kernel.io_uring_disabled=1"
            default: return "io_uring_setup was refused with EPERM (a seccomp filter or a container policy)"
            }
        case EOPNOTSUPP:
            return "the kernel's io_uring lacks IORING_FEAT_EXT_ARG or IORING_OP_POLL_ADD (Linux 5.11 or later is needed)"
        default: return "io_uring_setup failed: \(String(cString: strerror(e)))"
        }
    }

    /// The concrete backend for this choice, and why `auto` did not get io_uring when it fell
    /// back. Throws when `uring` was asked for and the kernel refuses it.
    public func resolved() throws -> (backend: IOBackend, fallback: String?) {
        switch self {
        case .epoll: return (.epoll, nil)
        case .uring:
            if let why = Self.uringUnavailableReason { throw IOBackendUnavailable(reason: why) }
            return (.uring, nil)
        case .auto:
            if Self.preferred == .epoll { return (.epoll, nil) }
            if let why = Self.uringUnavailableReason { return (.epoll, why) }
            return (.uring, nil)
        }
    }
}

public struct IOBackendUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "--io-backend uring: \(reason); use --io-backend epoll or auto" }
}
