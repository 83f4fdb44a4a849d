import Reactor

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
        scratch.append(contentsOf: ErrorCode(serverStatus: status).rawValue.utf8)
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
