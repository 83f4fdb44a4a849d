import Reactor

/// The handle a handler answers through, now or from a later callback on the same loop.
/// A response for a request that already timed out (or whose connection closed) is dropped.
public struct Responder {
    let connection: ServerConnection
    let generation: UInt32

    public var loop: EventLoop { connection.loop }

    public func respond(status: UInt16, contentType: StaticString? = "application/json",
                        body: UnsafeRawBufferPointer, headers: ExtraHeaders? = nil) {
        connection.answered(generation, status: status, contentType: contentType, body: body,
                            extra: headers)
    }

    public func respond(status: UInt16, contentType: StaticString? = "application/json",
                        body: [UInt8], headers: ExtraHeaders? = nil) {
        body.withUnsafeBytes { respond(status: status, contentType: contentType, body: $0, headers: headers) }
    }

    public func respond(status: UInt16, contentType: StaticString? = "application/json",
                        body: StaticString) {
        respond(status: status, contentType: contentType,
                body: UnsafeRawBufferPointer(start: body.utf8Start, count: body.utf8CodeUnitCount))
    }
}
