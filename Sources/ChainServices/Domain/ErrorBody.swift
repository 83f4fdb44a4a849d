// Error bodies: `{"error":{"code":"...","message":"..."},"trace_id":"..."}`, with the codes of
// HTTP1's `ErrorCode` (the one table of API.md's errors).

// The fuzz build (scripts/fuzz.sh json) compiles the domain with ErrorCode.swift as one module.
#if canImport(HTTP1)
import HTTP1
#endif

public struct ErrorBody: Equatable, Sendable, Error {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var httpStatus: Int { code.httpStatus }

    public func write(to w: inout JSONWriter, traceId: String) {
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.field("code", code.rawValue)
        w.field("message", message)
        w.endObject()
        w.field("trace_id", traceId)
        w.endObject()
    }

    public func json(traceId: String) -> [UInt8] {
        var w = JSONWriter(capacity: 96 + message.utf8.count)
        write(to: &w, traceId: traceId)
        return w.bytes
    }

    /// Decodes an error body (e.g. from an upstream); nil when it is not one.
    public init?(json v: JSONValue) {
        guard let e = v["error"], let c = e["code"]?.stringValue, let code = ErrorCode(rawValue: c),
              let m = e["message"]?.stringValue else { return nil }
        self.init(code, m)
    }
}
