/// Status lines for the codes this server sends; anything else gets a generic reason.
enum StatusText {
    static func line(_ status: UInt16) -> StaticString {
        switch status {
        case 100: return "HTTP/1.1 100 Continue\r\n"
        case 200: return "HTTP/1.1 200 OK\r\n"
        case 201: return "HTTP/1.1 201 Created\r\n"
        case 204: return "HTTP/1.1 204 No Content\r\n"
        case 400: return "HTTP/1.1 400 Bad Request\r\n"
        case 404: return "HTTP/1.1 404 Not Found\r\n"
        case 405: return "HTTP/1.1 405 Method Not Allowed\r\n"
        case 408: return "HTTP/1.1 408 Request Timeout\r\n"
        case 413: return "HTTP/1.1 413 Content Too Large\r\n"
        case 414: return "HTTP/1.1 414 URI Too Long\r\n"
        case 431: return "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        case 500: return "HTTP/1.1 500 Internal Server Error\r\n"
        case 501: return "HTTP/1.1 501 Not Implemented\r\n"
        case 502: return "HTTP/1.1 502 Bad Gateway\r\n"
        case 503: return "HTTP/1.1 503 Service Unavailable\r\n"
        case 504: return "HTTP/1.1 504 Gateway Timeout\r\n"
        case 505: return "HTTP/1.1 505 HTTP Version Not Supported\r\n"
        default: return ""
        }
    }
}
