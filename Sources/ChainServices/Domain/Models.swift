// Value types of the chain and their JSON encodings (compact, field order as in API.md).

public enum Tier: String, Equatable, Sendable, CaseIterable {
    case standard, silver, gold

    /// Discount percentage of the tier (API.md "Pricing").
    public var discountPercent: Int64 {
        switch self {
        case .gold: return 10
        case .silver: return 5
        case .standard: return 0
        }
    }
}

/// `{"id":1002,"name":"User 1002","email":"user1002@example.com","tier":"silver"}`
public struct User: Equatable, Sendable {
    public var id: Int64
    public var name: String
    public var email: String
    public var tier: Tier

    public init(id: Int64, name: String, email: String, tier: Tier) {
        self.id = id
        self.name = name
        self.email = email
        self.tier = tier
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("id", id)
        w.field("name", name)
        w.field("email", email)
        w.field("tier", tier.rawValue)
        w.endObject()
    }

    public var json: [UInt8] { var w = JSONWriter(capacity: 96); write(to: &w); return w.bytes }

    /// Decodes the encoding above (unknown fields ignored); nil when a field is missing or wrong.
    public init?(json v: JSONValue) {
        guard let id = v["id"]?.intValue, let name = v["name"]?.stringValue,
              let email = v["email"]?.stringValue,
              let t = v["tier"]?.stringValue, let tier = Tier(rawValue: t) else { return nil }
        self.init(id: id, name: name, email: email, tier: tier)
    }
}

/// `{"sku":"SKU-1002-0","quantity":1,"unit_price_cents":1562}`
public struct OrderItem: Equatable, Sendable {
    public var sku: String
    public var quantity: Int64
    public var unitPriceCents: Int64

    public init(sku: String, quantity: Int64, unitPriceCents: Int64) {
        self.sku = sku
        self.quantity = quantity
        self.unitPriceCents = unitPriceCents
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("sku", sku)
        w.field("quantity", quantity)
        w.field("unit_price_cents", unitPriceCents)
        w.endObject()
    }

    public init?(json v: JSONValue) {
        guard let sku = v["sku"]?.stringValue, let q = v["quantity"]?.intValue,
              let p = v["unit_price_cents"]?.intValue else { return nil }
        self.init(sku: sku, quantity: q, unitPriceCents: p)
    }
}

/// Encodes `items` alone as a JSON array (the `orders.items` jsonb column).
public func encodeItems(_ items: [OrderItem]) -> [UInt8] {
    var w = JSONWriter(capacity: 64 * items.count + 2)
    w.beginArray()
    for item in items { item.write(to: &w) }
    w.endArray()
    return w.bytes
}

/// An order. In the /process response only id, items and the four amounts are written:
/// `{"id":17,"items":[...],"subtotal_cents":1562,"discount_cents":78,"tax_cents":122,"total_cents":1606}`.
/// When `userId`/`action` are set they follow `id`; when `traceId`/`createdAt` are set they
/// come last (the GET /orders/{id} shape):
/// `{"id":..,"user_id":..,"action":..,"items":[..],"subtotal_cents":..,...,"total_cents":..,"trace_id":..,"created_at":..}`.
public struct Order: Equatable, Sendable {
    public var id: Int64
    public var items: [OrderItem]
    public var subtotalCents: Int64
    public var discountCents: Int64
    public var taxCents: Int64
    public var totalCents: Int64
    public var userId: Int64?
    public var action: String?
    public var traceId: String?
    public var createdAt: String?

    public init(id: Int64, pricing: PricedOrder, userId: Int64? = nil, action: String? = nil,
                traceId: String? = nil, createdAt: String? = nil) {
        self.init(id: id, items: pricing.items, subtotalCents: pricing.subtotalCents,
                  discountCents: pricing.discountCents, taxCents: pricing.taxCents,
                  totalCents: pricing.totalCents, userId: userId, action: action,
                  traceId: traceId, createdAt: createdAt)
    }

    public init(id: Int64, items: [OrderItem], subtotalCents: Int64, discountCents: Int64,
                taxCents: Int64, totalCents: Int64, userId: Int64? = nil, action: String? = nil,
                traceId: String? = nil, createdAt: String? = nil) {
        self.id = id
        self.items = items
        self.subtotalCents = subtotalCents
        self.discountCents = discountCents
        self.taxCents = taxCents
        self.totalCents = totalCents
        self.userId = userId
        self.action = action
        self.traceId = traceId
        self.createdAt = createdAt
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("id", id)
        if let userId { w.field("user_id", userId) }
        if let action { w.field("action", action) }
        w.key("items")
        w.beginArray()
        for item in items { item.write(to: &w) }
        w.endArray()
        w.field("subtotal_cents", subtotalCents)
        w.field("discount_cents", discountCents)
        w.field("tax_cents", taxCents)
        w.field("total_cents", totalCents)
        if let traceId { w.field("trace_id", traceId) }
        if let createdAt { w.field("created_at", createdAt) }
        w.endObject()
    }

    public var json: [UInt8] { var w = JSONWriter(capacity: 256); write(to: &w); return w.bytes }

    public init?(json v: JSONValue) {
        guard let id = v["id"]?.intValue, case .array(let rawItems)? = v["items"],
              let s = v["subtotal_cents"]?.intValue, let d = v["discount_cents"]?.intValue,
              let t = v["tax_cents"]?.intValue, let tot = v["total_cents"]?.intValue else { return nil }
        var items: [OrderItem] = []
        items.reserveCapacity(rawItems.count)
        for r in rawItems {
            guard let item = OrderItem(json: r) else { return nil }
            items.append(item)
        }
        self.init(id: id, items: items, subtotalCents: s, discountCents: d, taxCents: t, totalCents: tot,
                  userId: v["user_id"]?.intValue, action: v["action"]?.stringValue,
                  traceId: v["trace_id"]?.stringValue, createdAt: v["created_at"]?.stringValue)
    }
}

/// The audit part of the /process response: `{"id":17,"status":"recorded"}`.
public struct AuditRecord: Equatable, Sendable {
    public var id: Int64
    public var status: String

    public init(id: Int64, status: String = "recorded") {
        self.id = id
        self.status = status
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("id", id)
        w.field("status", status)
        w.endObject()
    }

    public var json: [UInt8] { var w = JSONWriter(capacity: 48); write(to: &w); return w.bytes }

    public init?(json v: JSONValue) {
        guard let id = v["id"]?.intValue, let status = v["status"]?.stringValue else { return nil }
        self.init(id: id, status: status)
    }
}

/// `audit_logs.details`: `{"total_cents":1606,"item_count":1}`.
public func encodeAuditDetails(totalCents: Int64, itemCount: Int) -> [UInt8] {
    var w = JSONWriter(capacity: 48)
    w.beginObject()
    w.field("total_cents", totalCents)
    w.field("item_count", Int64(itemCount))
    w.endObject()
    return w.bytes
}

/// One `audit_logs` row as served by GET /audit:
/// `{"id":..,"trace_id":..,"user_id":..,"order_id":.. or null,"action":..,"status":..,"details":{..},"created_at":..}`.
/// `detailsJSON` is written verbatim and must be valid JSON.
public struct AuditLog: Equatable, Sendable {
    public var id: Int64
    public var traceId: String
    public var userId: Int64
    public var orderId: Int64?
    public var action: String
    public var status: String
    public var detailsJSON: [UInt8]
    public var createdAt: String

    public init(id: Int64, traceId: String, userId: Int64, orderId: Int64?, action: String,
                status: String, detailsJSON: [UInt8], createdAt: String) {
        self.id = id
        self.traceId = traceId
        self.userId = userId
        self.orderId = orderId
        self.action = action
        self.status = status
        self.detailsJSON = detailsJSON
        self.createdAt = createdAt
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("id", id)
        w.field("trace_id", traceId)
        w.field("user_id", userId)
        w.field("order_id", orderId)
        w.field("action", action)
        w.field("status", status)
        w.key("details")
        w.raw(detailsJSON)
        w.field("created_at", createdAt)
        w.endObject()
    }
}

/// The 200 body of POST /process:
/// `{"trace_id":"..","status":"completed","user":{..},"order":{..},"audit":{..}}`.
public func encodeProcessResponse(traceId: String, user: User, order: Order, audit: AuditRecord) -> [UInt8] {
    var w = JSONWriter(capacity: 512)
    w.beginObject()
    w.field("trace_id", traceId)
    w.field("status", "completed")
    w.key("user"); user.write(to: &w)
    w.key("order"); order.write(to: &w)
    w.key("audit"); audit.write(to: &w)
    w.endObject()
    return w.bytes
}

/// user-service -> order-service body: `{"user":{..},"action":".."}`.
public func encodeOrderServiceRequest(user: User, action: String) -> [UInt8] {
    var w = JSONWriter(capacity: 160)
    w.beginObject()
    w.key("user"); user.write(to: &w)
    w.field("action", action)
    w.endObject()
    return w.bytes
}

/// order-service -> audit-service body: `{"user":{..},"order":{..},"action":".."}`.
public func encodeAuditServiceRequest(user: User, order: Order, action: String) -> [UInt8] {
    var w = JSONWriter(capacity: 400)
    w.beginObject()
    w.key("user"); user.write(to: &w)
    w.key("order"); order.write(to: &w)
    w.field("action", action)
    w.endObject()
    return w.bytes
}
