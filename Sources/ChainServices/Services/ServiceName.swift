/// The three services of the chain, in call order.
public enum ServiceName: String, Sendable, CaseIterable {
    case user = "user-service", order = "order-service", audit = "audit-service"

    /// The seed's ports.
    public var defaultPort: Int {
        switch self {
        case .user: return 5001
        case .order: return 5002
        case .audit: return 5003
        }
    }

    /// The service this one calls (user -> order -> audit); nil for the last.
    public var next: ServiceName? {
        switch self {
        case .user: return .order
        case .order: return .audit
        case .audit: return nil
        }
    }

    /// Whether callers are other services of the chain, trusted to pass their deadline.
    /// user-service is the edge: its callers are the gateway and the outside world.
    public var trustsCallerDeadline: Bool { self != .user }
}
