import Glibc

/// An IPv4 or IPv6 address with port, stored as sockaddr_storage.
public struct SocketAddress: Sendable, CustomStringConvertible {
    public var storage = sockaddr_storage()
    public var length: socklen_t = 0

    public var family: Int32 { Int32(storage.ss_family) }

    /// Resolves `host` (numeric or a name) with getaddrinfo. Blocking: call it off the loops,
    /// at start-up or from a helper thread, never on a loop thread.
    public static func resolve(host: String, port: Int) throws -> SocketAddress {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let first = res else {
            throw SystemError("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(res) }
        // Prefer IPv4: loopback services here listen on 127.0.0.1.
        var pick = first
        var cur: UnsafeMutablePointer<addrinfo>? = first
        while let c = cur {
            if c.pointee.ai_family == AF_INET { pick = c; break }
            cur = c.pointee.ai_next
        }
        var a = SocketAddress()
        withUnsafeMutableBytes(of: &a.storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: pick.pointee.ai_addr, count: Int(pick.pointee.ai_addrlen)))
        }
        a.length = pick.pointee.ai_addrlen
        return a
    }

    public var port: Int {
        // sin_port and sin6_port both sit at offset 2, in network byte order.
        withUnsafeBytes(of: storage) { Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self))) }
    }

    /// The address without port or brackets ("127.0.0.1", "::1"), as libpq's `hostaddr` takes it.
    public var numericHost: String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        withUnsafeBytes(of: storage) { raw in
            let off = family == AF_INET ? 4 : 8
            _ = inet_ntop(family, raw.baseAddress! + off, &buf, socklen_t(buf.count))
        }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String {
        family == AF_INET6 ? "[\(numericHost)]:\(port)" : "\(numericHost):\(port)"
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }
}

public struct SystemError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
    public static func errno(_ what: String) -> SystemError {
        SystemError("\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}
