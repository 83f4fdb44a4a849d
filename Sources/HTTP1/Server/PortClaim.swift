import Glibc
import Reactor

/// The port is served by someone else already.
public struct PortInUse: Error, CustomStringConvertible {
    public let address: SocketAddress
    public var description: String { "port \(address.port) in use (something already listens on \(address))" }
}

/// Makes sure no other socket listens on an address before a server's SO_REUSEPORT listeners
/// bind it. SO_REUSEPORT lets any process of the same user join a port's group, and the kernel
/// then splits connections between two unrelated servers (two clones' `up.sh`, say); a bind
/// without it fails with EADDRINUSE while anyone listens there, so one probe tells.
///
/// The probe is closed before the listeners bind: a rival that probes in that window of a few
/// microseconds is not caught. Holding the probe is not an option, since a socket bound without
/// SO_REUSEPORT keeps every SO_REUSEPORT socket out, ours included.
enum PortClaim {
    static func ensureUnused(_ address: SocketAddress) throws {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.errno("socket") }
        defer { close(fd) }
        // SO_REUSEADDR, as the listeners have: connections left in TIME_WAIT are no owner.
        Socket.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        let rc = withUnsafeBytes(of: address.storage) {
            bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.length)
        }
        guard rc == 0 else {
            if errno == EADDRINUSE { throw PortInUse(address: address) }
            throw SystemError.errno("bind \(address)")
        }
    }
}
