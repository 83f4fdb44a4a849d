// API.md "Pricing", in integer cents. Overflow-free for every user id 1...Int64.max:
// at most 3 items, quantity <= 2, unit price <= 5499.

public struct PricedOrder: Equatable, Sendable {
    public var items: [OrderItem]
    public var subtotalCents: Int64
    public var discountCents: Int64
    public var taxCents: Int64
    public var totalCents: Int64
}

public enum Pricing {
    /// Number of items for user `u`: `1 + u % 3`.
    @inline(__always) public static func itemCount(userId u: Int64) -> Int64 { 1 + u % 3 }

    /// `500 + (u * 31 + i * 17) % 5000`, computed as `((u % 5000) * 31 + i * 17) % 5000`.
    @inline(__always) public static func unitPriceCents(userId u: Int64, index i: Int64) -> Int64 {
        500 + ((u % 5000) * 31 + i * 17) % 5000
    }

    /// `((subtotal - discount) * 825 + 5000) / 10000` (8.25 %, half up).
    @inline(__always) public static func taxCents(net: Int64) -> Int64 { (net * 825 + 5000) / 10000 }

    /// Prices the order of user `userId` (expected >= 1) with tier `tier`.
    public static func price(userId u: Int64, tier: Tier) -> PricedOrder {
        let n = itemCount(userId: u)
        var items: [OrderItem] = []
        items.reserveCapacity(Int(n))
        var subtotal: Int64 = 0
        var i: Int64 = 0
        while i < n {
            let quantity = 1 + i % 2
            let price = unitPriceCents(userId: u, index: i)
            items.append(OrderItem(sku: "SKU-\(u)-\(i)", quantity: quantity, unitPriceCents: price))
            subtotal += quantity * price
            i += 1
        }
        let discount = subtotal * tier.discountPercent / 100
        let tax = taxCents(net: subtotal - discount)
        return PricedOrder(items: items, subtotalCents: subtotal, discountCents: discount,
                           taxCents: tax, totalCents: subtotal - discount + tax)
    }
}
