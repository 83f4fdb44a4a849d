extension HTTPMethod {
    /// The method's token as a static string (request lines, span names, metric labels).
    /// `.other` reads "_OTHER", as the OpenTelemetry HTTP conventions name unknown methods.
    public var name: StaticString {
        switch self {
        case .GET: return "GET"
        case .HEAD: return "HEAD"
        case .POST: return "POST"
        case .PUT: return "PUT"
        case .DELETE: return "DELETE"
        case .OPTIONS: return "OPTIONS"
        case .PATCH: return "PATCH"
        case .TRACE: return "TRACE"
        case .CONNECT: return "CONNECT"
        case .other: return "_OTHER"
        }
    }
}
