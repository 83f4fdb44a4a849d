import Reactor

/// Serializes a client request: framed by Content-Length (written whenever there is a body or
/// the method carries one), keep-alive by default.
public enum RequestWriter {
    static func write(_ req: ClientRequest, host: String, into out: IOBuffer) {
        req.headers.lines.withUnsafeBytes { lines in
            req.body.withUnsafeBytes { body in
                write(method: req.method, path: req.path, host: host, contentType: req.contentType,
                      headerLines: lines, body: body, into: out)
            }
        }
    }

    /// `headerLines`: complete field lines ("Name: value\r\n"), checked by whoever built them
    /// (`ExtraHeaders.add`, or the exporter's environment parsing); `path` is origin-form.
    public static func write(method: HTTPMethod, path: String, host: String, contentType: StaticString?,
                             headerLines: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, into out: IOBuffer) {
        writeHead(method: method, path: path, host: host, contentType: contentType, headerLines: headerLines,
                  contentLength: body.count, into: out)
        out.append(body)
    }

    /// The head alone, for a body of `contentLength` bytes the caller sends from where it lies
    /// (the span exporter's batches: a copy of each into the buffer cost a pass over every byte).
    public static func writeHead(method: HTTPMethod, path: String, host: String, contentType: StaticString?,
                                 headerLines: UnsafeRawBufferPointer, contentLength: Int, into out: IOBuffer) {
        out.append(method == .other ? "GET" : method.name)
        out.append(byte: UInt8(ascii: " "))
        out.append(path)
        out.append(" HTTP/1.1\r\nHost: ")
        out.append(host)
        if let ct = contentType {
            out.append("\r\nContent-Type: ")
            out.append(ct)
        }
        if contentLength != 0 || method == .POST || method == .PUT || method == .PATCH {
            out.append("\r\nContent-Length: ")
            out.append(decimal: contentLength)
        }
        out.append("\r\n")
        out.append(headerLines)
        out.append("\r\n")
    }
}
