/// An `http://host[:port][/path][?query]` URL split into what a client connects to and sends:
/// the one splitter for every URL the chain is given (next service, OTLP endpoint, Tempo).
///
/// The scheme is case-insensitive (RFC 3986 3.1); the authority follows `Authority`'s rules, so
/// an IPv6 literal keeps its brackets in the URL (`http://[::1]:4318`) and loses them in `host`.
/// Refused (nil): other schemes (https needs TLS, which these clients have not), userinfo, an
/// empty host, a percent-encoded host (it goes to getaddrinfo as is), a port outside 1...65535.
public struct HTTPURL: Equatable, Sendable {
    /// The host as getaddrinfo takes it: a name, an IPv4 address or an IPv6 address without brackets.
    public var host: String
    public var port: Int
    /// Path and query as written ("" when the URL has none); a fragment is dropped.
    public var path: String

    public init?(_ text: String) {
        var u = Array(text.utf8)
        let scheme = "http://".utf8
        guard u.count > scheme.count,
              zip(u, scheme).allSatisfy({ ASCII.lowercased($0) == $1 }) else { return nil }
        u.removeFirst(scheme.count)
        if let hash = u.firstIndex(of: UInt8(ascii: "#")) { u.removeSubrange(hash...) }
        let authorityEnd = u.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? u.count
        let valid = u.withUnsafeBufferPointer { b in
            authorityEnd > 0 && Authority.isValid(b.baseAddress!, 0, authorityEnd, allowEmpty: false, requirePort: false)
        }
        guard valid, !u[..<authorityEnd].contains(UInt8(ascii: "%")) else { return nil }

        var hostBytes = u[..<authorityEnd]
        var port = 80
        let portColon = u[0] == UInt8(ascii: "[")
            ? u[..<authorityEnd].lastIndex(of: UInt8(ascii: "]")).map { $0 + 1 }.flatMap { $0 < authorityEnd ? $0 : nil }
            : u[..<authorityEnd].firstIndex(of: UInt8(ascii: ":"))
        if let colon = portColon {
            guard let p = Int(String(decoding: u[(colon + 1)..<authorityEnd], as: UTF8.self)), (1...65535).contains(p) else { return nil }
            port = p
            hostBytes = u[..<colon]
        }
        if hostBytes.first == UInt8(ascii: "[") { hostBytes = hostBytes.dropFirst().dropLast() }
        guard !hostBytes.isEmpty else { return nil }
        self.host = String(decoding: hostBytes, as: UTF8.self)
        self.port = port
        let rest = String(decoding: u[authorityEnd...], as: UTF8.self)
        self.path = rest.hasPrefix("?") ? "/" + rest : rest
    }

    /// The Host header value (RFC 9110 7.2): the host, bracketed when it is an IPv6 address, and
    /// the port unless it is the default.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? h : "\(h):\(port)"
    }

    /// `path`, or "/" when the URL has none (the request-target of origin-form cannot be empty).
    public var requestTarget: String { path.isEmpty ? "/" : path }
}
