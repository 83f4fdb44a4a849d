// The seed rule of API.md: users 1...10000, name "User <id>", email "user<id>@example.com",
// tier gold when id % 10 == 0, silver when id % 10 is 1 or 2, else standard.

public enum SeedUsers {
    public static let ids: ClosedRange<Int64> = 1...10000

    public static func tier(id: Int64) -> Tier {
        switch id % 10 {
        case 0: return .gold
        case 1, 2: return .silver
        default: return .standard
        }
    }

    /// The seeded user with this id, or nil outside 1...10000.
    public static func user(id: Int64) -> User? {
        guard ids.contains(id) else { return nil }
        return User(id: id, name: "User \(id)", email: "user\(id)@example.com", tier: tier(id: id))
    }
}
