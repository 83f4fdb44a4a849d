import Reactor

/// Serializes a client request: always framed by Content-Length, keep-alive by default.
enum RequestWriter {
    static func write(_ req: ClientRequest, host: String, into out: IOBuffer) {
        out.append(req.method == .other ? "GET" : req.method.name)
        out.append(byte: UInt8(ascii: " "))
        out.append(req.path)
        out.append(" HTTP/1.1\r\nHost: ")
        out.append(host)
        if let ct = req.contentType {
            out.append("\r\nContent-Type: ")
            out.append(ct)
        }
        if !req.body.isEmpty || req.method == .POST || req.method == .PUT || req.method == .PATCH {
            out.append("\r\nContent-Length: ")
            out.append(decimal: req.body.count)
        }
        out.append("\r\n")
        req.headers.lines.withUnsafeBytes { out.append($0) }
        out.append("\r\n")
        req.body.withUnsafeBytes { out.append($0) }
    }
}
