import HTTP1
import Reactor
import Tracing

/// A traced HTTP server of one loop on a loopback port, for the tests that talk to one.
/// `prepare` runs before the loop starts (to set `onRequestEnded`, say); call `stop()` when done.
final class TracedTestServer {
    let group = LoopGroup(count: 1)
    let server: HTTPServer
    var port: Int { server.port }

    init(_ router: Router, tracer: Tracer, prepare: (HTTPServer, LoopGroup) -> Void = { _, _ in }) throws {
        var config = ServerConfig()
        config.host = "127.0.0.1"
        config.port = 0
        server = try HTTPServer(config: config, router: router, group: group, tracers: LoopLocal(group) { _ in tracer })
        prepare(server, group)
        try group.start { [server] in server.start(on: $0) }
    }

    func stop() {
        server.shutdown(group) { $0.stop() }
        _ = group.wait(until: Instant.now() + .nanoseconds(3_000_000_000))
    }
}
