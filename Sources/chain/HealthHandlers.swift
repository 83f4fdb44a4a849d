import HTTP1

/// `GET /health` for the bare runtime (the services add their own, with database checks).
enum HealthHandlers {
    static let body: StaticString = "{\"status\":\"ok\"}"

    static func register(on router: Router, style: Serve.HandlerStyle) {
        switch style {
        case .callback:
            router.add(.GET, "/health") { _, r in r.respond(status: 200, body: body) }
        case .async:
            let bytes = Array(UnsafeBufferPointer(start: body.utf8Start, count: body.utf8CodeUnitCount))
            router.addAsync(.GET, "/health") { _ in Response(status: 200, body: bytes) }
        }
    }
}
