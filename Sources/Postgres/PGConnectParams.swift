import CLibPQ
import Glibc
import Reactor

/// libpq connection keywords, parsed from a URI or key=value string once, at start-up.
/// A host name is resolved here, off the loops, and passed as `hostaddr`: PQconnectStart would
/// otherwise call the blocking getaddrinfo on a loop thread.
public struct PGConnectParams: Sendable {
    public var pairs: [(String, String)]
    /// `hostaddr` was looked up here from `host` (not given by the user), so it may be looked up
    /// again when the server moved.
    public private(set) var resolvedFromHost = false

    /// The host name and port `hostaddr` was looked up from, when it was.
    public var resolvedHost: (host: String, port: Int)? {
        guard resolvedFromHost, let host = get("host") else { return nil }
        return (host, Int(get("port") ?? "5432") ?? 5432)
    }

    public static func parse(_ url: String, applicationName: String = "chain") throws -> PGConnectParams {
        var err: UnsafeMutablePointer<CChar>?
        guard let opts = PQconninfoParse(url, &err) else {
            let msg = err.map { String(cString: $0) } ?? "invalid connection string"
            if let e = err { PQfreemem(e) }
            throw PGConfigError(message: msg)
        }
        defer { PQconninfoFree(opts) }
        var pairs: [(String, String)] = []
        var p = opts
        while let kw = p.pointee.keyword {
            if let v = p.pointee.val { pairs.append((String(cString: kw), String(cString: v))) }
            p += 1
        }
        var params = PGConnectParams(pairs: pairs)
        try params.resolveHost()
        params.set("application_name", params.get("application_name") ?? applicationName)
        params.set("client_encoding", "UTF8")
        // Timestamps come back in UTC, so decoding needs no time zone database.
        params.set("options", ((params.get("options") ?? "") + " -c TimeZone=UTC").trimmingSpaces)
        for (k, v) in deadPeerDefaults where params.get(k) == nil { params.set(k, v) }
        return params
    }

    /// TCP's own detection of a server that vanished without a reset, within 10 s, unless the
    /// URL says otherwise: an idle connection is probed after 4 s, then every 2 s, and unsent
    /// or unanswered data (probes included) gives up after 8 s (tcp(7): TCP_USER_TIMEOUT then
    /// decides for keepalive too). libpq ignores them on Unix sockets. A peer whose kernel still
    /// answers (a stuck proxy) is caught by the pool instead (`PGConfig.peerSilenceLimit`).
    static let deadPeerDefaults: [(String, String)] = [
        ("keepalives", "1"), ("keepalives_idle", "4"), ("keepalives_interval", "2"),
        ("keepalives_count", "2"), ("tcp_user_timeout", "8000"),
    ]

    public func get(_ k: String) -> String? { pairs.first { $0.0 == k }?.1 }

    public mutating func set(_ k: String, _ v: String) {
        if let i = pairs.firstIndex(where: { $0.0 == k }) { pairs[i].1 = v } else { pairs.append((k, v)) }
    }

    private mutating func resolveHost() throws {
        guard get("hostaddr") == nil, let host = get("host"), !host.isEmpty,
              !host.hasPrefix("/"), !host.contains(",") else { return }
        let port = Int(get("port") ?? "5432") ?? 5432
        set("hostaddr", try SocketAddress.resolve(host: host, port: port).numericHost)
        resolvedFromHost = true
    }
}

public struct PGConfigError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "database configuration: \(message)" }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// The keyword arrays libpq wants, as C strings that live as long as the pool.
final class CConnectParams {
    let keywords: UnsafeMutablePointer<UnsafePointer<CChar>?>
    let values: UnsafeMutablePointer<UnsafePointer<CChar>?>
    let count: Int

    init(_ p: PGConnectParams) {
        count = p.pairs.count
        keywords = .allocate(capacity: count + 1)
        values = .allocate(capacity: count + 1)
        for (i, (k, v)) in p.pairs.enumerated() {
            keywords[i] = UnsafePointer(strdup(k))
            values[i] = UnsafePointer(strdup(v))
        }
        keywords[count] = nil
        values[count] = nil
    }

    deinit {
        for i in 0..<count {
            free(UnsafeMutablePointer(mutating: keywords[i]))
            free(UnsafeMutablePointer(mutating: values[i]))
        }
        keywords.deallocate()
        values.deallocate()
    }
}
