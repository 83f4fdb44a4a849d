import Reactor

/// What a handler answers. `body` is copied into the connection's output before `respond` returns.
public struct ResponseHeaders {
    /// Extra header lines, each "Name: value\r\n", already formatted (no per-header allocation).
    /// Only `add` writes here, so every line is well formed.
    public private(set) var extra: [UInt8] = []
    public init() {}

    /// Adds one header line, or refuses it and returns false when `name` is not a token or
    /// `value` holds a byte a field value may not (RFC 9110 5.5: CR, LF, NUL and the other
    /// controls except HTAB). A value may come from a request, so it must never be able to end
    /// the line early and smuggle a header or a response in; refusing is the caller's signal,
    /// never a crash.
    @discardableResult
    public mutating func add(_ name: StaticString, _ value: String) -> Bool {
        let n = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        guard !n.isEmpty, n.allSatisfy({ ByteClass.table[Int($0)] & ByteClass.token != 0 }),
              value.utf8.allSatisfy({ ByteClass.table[Int($0)] & ByteClass.fieldValue != 0 }) else { return false }
        extra.append(contentsOf: n)
        extra.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
        extra.append(contentsOf: value.utf8)
        extra.append(contentsOf: [13, 10])
        return true
    }
}

/// Writes one framed response head (and body) into an output buffer. Every response carries
/// Content-Length, so keep-alive never depends on close-delimited bodies.
enum ResponseWriter {
    static let serverLine: StaticString = "Server: chain\r\n"

    static func write(into out: IOBuffer, status: UInt16, contentType: StaticString?,
                      body: UnsafeRawBufferPointer, extra: UnsafeRawBufferPointer?,
                      keepAlive: Bool, omitBody: Bool, date: DateCache) {
        let statusLine = StatusText.line(status)
        if statusLine.utf8CodeUnitCount > 0 {
            out.append(statusLine)
        } else {
            out.append("HTTP/1.1 ")
            out.append(decimal: Int(status))
            out.append(" Status\r\n")
        }
        out.append(serverLine)
        date.line.withUnsafeBytes { out.append($0) }
        if let ct = contentType {
            out.append("Content-Type: ")
            out.append(ct)
            out.append("\r\n")
        }
        out.append("Content-Length: ")
        out.append(decimal: body.count)
        out.append(keepAlive ? "\r\n" : "\r\nConnection: close\r\n")
        if let extra, extra.count > 0 { out.append(extra) }
        out.append("\r\n")
        if !omitBody { out.append(body) }
    }

    /// `{"error":{"code":"...","message":"..."},"trace_id":"..."}` for protocol-level errors
    /// (API.md's error shape; the trace id only when telemetry is on).
    static func errorBody(status: UInt16, message: StaticString, traceID: String?, into scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        func add(_ s: StaticString) {
            scratch.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        }
        add("{\"error\":{\"code\":\"")
        add(StatusText.errorCode(status))
        add("\",\"message\":\"")
        add(message)   // messages are static ASCII without quotes or backslashes
        add("\"}")
        if let traceID {
            add(",\"trace_id\":\"")
            scratch.append(contentsOf: traceID.utf8)   // 32 hex digits: nothing to escape
            add("\"")
        }
        add("}")
    }
}
