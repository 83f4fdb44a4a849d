import CSystem
import Glibc

/// Socket set-up calls. Each returns a non-blocking, close-on-exec descriptor.
public enum Socket {
    /// A listening socket; with `reusePort` every loop binds its own and the kernel spreads
    /// connections across them, so no acceptor thread hands connections off.
    public static func listen(_ address: SocketAddress, reusePort: Bool, backlog: Int32 = 4096) throws -> Int32 {
        let fd = cs_socket_tcp(address.family)
        guard fd >= 0 else { throw SystemError.errno("socket") }
        setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        if reusePort { setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
        let rc = address.withSockaddr { bind(fd, $0, $1) }
        guard rc == 0 else {
            let e = SystemError.errno("bind \(address)")
            close(fd)
            throw e
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let e = SystemError.errno("listen \(address)")
            close(fd)
            throw e
        }
        return fd
    }

    /// The port a socket is bound to (for listeners bound to port 0).
    public static func localPort(_ fd: Int32) -> Int {
        var a = SocketAddress()
        a.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutableBytes(of: &a.storage) { raw in
            getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &a.length)
        }
        return rc == 0 ? a.port : -1
    }

    public enum ConnectResult {
        case connected(Int32)
        case inProgress(Int32)
        case failed(Int32)   // errno
    }

    /// Starts a non-blocking connect; completion is reported as writability, then `connectError`.
    public static func connect(_ address: SocketAddress) -> ConnectResult {
        let fd = cs_socket_tcp(address.family)
        guard fd >= 0 else { return .failed(errno) }
        setNoDelay(fd)
        let rc = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc == 0 { return .connected(fd) }
        let e = errno
        if e == EINPROGRESS { return .inProgress(fd) }
        close(fd)
        return .failed(e)
    }

    /// The result of a finished non-blocking connect: 0 or an errno.
    public static func connectError(_ fd: Int32) -> Int32 {
        var err: Int32 = 0
        var len = socklen_t(4)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 { return errno }
        return err
    }

    @inline(__always)
    public static func setNoDelay(_ fd: Int32) {
        setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    public static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var v = value
        _ = setsockopt(fd, level, name, &v, socklen_t(4))
    }
}
