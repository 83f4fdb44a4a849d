import XCTest
@testable import ChainServices

final class DomainPricingTests: XCTestCase {
    func testUser1002MatchesAPIExample() {
        let p = Pricing.price(userId: 1002, tier: .silver)
        XCTAssertEqual(p.items, [OrderItem(sku: "SKU-1002-0", quantity: 1, unitPriceCents: 1562)])
        XCTAssertEqual(p.subtotalCents, 1562)
        XCTAssertEqual(p.discountCents, 78)
        XCTAssertEqual(p.taxCents, 122)
        XCTAssertEqual(p.totalCents, 1606)
    }

    func testUser1001ThreeItems() {
        let p = Pricing.price(userId: 1001, tier: .silver)
        XCTAssertEqual(p.items, [
            OrderItem(sku: "SKU-1001-0", quantity: 1, unitPriceCents: 1531),
            OrderItem(sku: "SKU-1001-1", quantity: 2, unitPriceCents: 1548),
            OrderItem(sku: "SKU-1001-2", quantity: 1, unitPriceCents: 1565),
        ])
        XCTAssertEqual(p.subtotalCents, 6192)
        XCTAssertEqual(p.discountCents, 309) // 309.6 rounded down
        XCTAssertEqual(p.taxCents, 485)
        XCTAssertEqual(p.totalCents, 6368)
    }

    func testTierDiscounts() {
        // gold 10 %: user 1010, subtotal 7308 -> discount 730 (730.8 down)
        let g = Pricing.price(userId: 1010, tier: .gold)
        XCTAssertEqual([g.subtotalCents, g.discountCents, g.taxCents, g.totalCents], [7308, 730, 543, 7121])
        // standard 0 %: user 1003, two items
        let s = Pricing.price(userId: 1003, tier: .standard)
        XCTAssertEqual(s.items.count, 2)
        XCTAssertEqual([s.subtotalCents, s.discountCents, s.taxCents, s.totalCents], [4813, 0, 397, 5210])
        // same subtotal, the three tiers
        XCTAssertEqual(Pricing.price(userId: 1001, tier: .gold).discountCents, 619)
        XCTAssertEqual(Pricing.price(userId: 1001, tier: .standard).discountCents, 0)
        XCTAssertEqual(Tier.gold.discountPercent, 10)
        XCTAssertEqual(Tier.silver.discountPercent, 5)
        XCTAssertEqual(Tier.standard.discountPercent, 0)
    }

    func testTaxHalfUpAtExactHalf() {
        // net * 825 ends in exactly ...5000 -> the half cent rounds up.
        XCTAssertEqual(Pricing.taxCents(net: 1000), 83)   // 82.5
        XCTAssertEqual(Pricing.taxCents(net: 600), 50)    // 49.5
        XCTAssertEqual(Pricing.taxCents(net: 1800), 149)  // 148.5
        XCTAssertEqual(Pricing.taxCents(net: 19800), 1634) // 1633.5
        XCTAssertEqual(Pricing.taxCents(net: 4406), 363)  // 363.495 -> down
        XCTAssertEqual(Pricing.taxCents(net: 0), 0)
        // standard user 143: 4933 + 2*4950 + 4967 = 19800
        let s = Pricing.price(userId: 143, tier: .standard)
        XCTAssertEqual([s.subtotalCents, s.discountCents, s.taxCents, s.totalCents], [19800, 0, 1634, 21434])
        // silver user 6792: 1052 - 52 = 1000 -> 82.5 -> 83
        let v = Pricing.price(userId: 6792, tier: .silver)
        XCTAssertEqual([v.subtotalCents, v.discountCents, v.taxCents, v.totalCents], [1052, 52, 83, 1083])
        // gold user 1500: 2000 - 200 = 1800 -> 148.5 -> 149
        let g = Pricing.price(userId: 1500, tier: .gold)
        XCTAssertEqual([g.subtotalCents, g.discountCents, g.taxCents, g.totalCents], [2000, 200, 149, 1949])
        // just below half: 4406 * 825 = 3634950 -> 363
        XCTAssertEqual(Pricing.price(userId: 126, tier: .standard).taxCents, 363)
    }

    func testHugeUserIdDoesNotOverflow() {
        let max = Int64.max // max % 3 == 1, max % 5000 == 807
        let p = Pricing.price(userId: max, tier: .standard)
        XCTAssertEqual(p.items, [
            OrderItem(sku: "SKU-9223372036854775807-0", quantity: 1, unitPriceCents: 517),
            OrderItem(sku: "SKU-9223372036854775807-1", quantity: 2, unitPriceCents: 534),
        ])
        XCTAssertEqual([p.subtotalCents, p.discountCents, p.taxCents, p.totalCents], [1585, 0, 131, 1716])
        XCTAssertEqual(Pricing.price(userId: max, tier: .silver).totalCents, 1630)
        XCTAssertEqual(Pricing.price(userId: max, tier: .gold).totalCents, 1545)
        XCTAssertEqual(Pricing.price(userId: max - 1, tier: .gold).items.count, 1)
    }

    func testItemCountAndQuantities() {
        for u: Int64 in [1, 2, 3, 4, 5, 6, 9999, 10000, Int64.max - 2] {
            let p = Pricing.price(userId: u, tier: .standard)
            XCTAssertEqual(Int64(p.items.count), 1 + u % 3, "u=\(u)")
            for (i, item) in p.items.enumerated() {
                XCTAssertEqual(item.quantity, Int64(1 + i % 2))
                XCTAssertEqual(item.sku, "SKU-\(u)-\(i)")
                XCTAssertTrue((500...5499).contains(item.unitPriceCents))
            }
        }
        XCTAssertEqual(Pricing.itemCount(userId: 3), 1)
        XCTAssertEqual(Pricing.itemCount(userId: 4), 2)
        XCTAssertEqual(Pricing.itemCount(userId: 5), 3)
    }

    func testAllSeedUsersTotalsConsistent() {
        for u in SeedUsers.ids {
            let user = SeedUsers.user(id: u)!
            let p = Pricing.price(userId: u, tier: user.tier)
            // reference computed the naive way (u * 31 fits for seed ids)
            var sub: Int64 = 0
            for i in 0..<(1 + u % 3) { sub += (1 + i % 2) * (500 + (u * 31 + i * 17) % 5000) }
            XCTAssertEqual(p.subtotalCents, sub)
            XCTAssertEqual(p.totalCents, p.subtotalCents - p.discountCents + p.taxCents)
        }
    }

    func testSeedUsers() {
        XCTAssertEqual(SeedUsers.user(id: 1002), User(id: 1002, name: "User 1002", email: "user1002@example.com", tier: .silver))
        XCTAssertEqual(SeedUsers.tier(id: 10), .gold)
        XCTAssertEqual(SeedUsers.tier(id: 11), .silver)
        XCTAssertEqual(SeedUsers.tier(id: 12), .silver)
        XCTAssertEqual(SeedUsers.tier(id: 13), .standard)
        XCTAssertEqual(SeedUsers.tier(id: 19), .standard)
        XCTAssertNil(SeedUsers.user(id: 0))
        XCTAssertNil(SeedUsers.user(id: 10001))
        XCTAssertEqual(SeedUsers.user(id: 10000)?.tier, .gold)
    }
}
