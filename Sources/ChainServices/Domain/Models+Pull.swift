// The models and the services' bodies decoded with the pull reader (JSONPull.swift). Each
// `decode` accepts exactly what the matching `init?(json:)` accepts, member for member
// (JSONPullTests compares them): unknown members are ignored, a required member that is
// missing or of the wrong type makes it nil, an optional one of the wrong type is left out.

extension User {
    static func decode(_ r: inout JSONReader, depth: Int) throws(JSONError) -> User? {
        var id: Int64?, name: String?, email: String?, tier: String?
        let isObject = try r.members(depth: depth) { r, field, d throws(JSONError) in
            if field.is("id") { id = try r.readInt(depth: d) }
            else if field.is("name") { name = try r.readString(depth: d) }
            else if field.is("email") { email = try r.readString(depth: d) }
            else if field.is("tier") { tier = try r.readString(depth: d) }
            else { try r.skip(depth: d) }
        }
        guard isObject, let id, let name, let email, let tier, let t = Tier(rawValue: tier) else { return nil }
        return User(id: id, name: name, email: email, tier: t)
    }
}

extension OrderItem {
    static func decode(_ r: inout JSONReader, depth: Int) throws(JSONError) -> OrderItem? {
        var sku: String?, quantity: Int64?, price: Int64?
        let isObject = try r.members(depth: depth) { r, field, d throws(JSONError) in
            if field.is("sku") { sku = try r.readString(depth: d) }
            else if field.is("quantity") { quantity = try r.readInt(depth: d) }
            else if field.is("unit_price_cents") { price = try r.readInt(depth: d) }
            else { try r.skip(depth: d) }
        }
        guard isObject, let sku, let quantity, let price else { return nil }
        return OrderItem(sku: sku, quantity: quantity, unitPriceCents: price)
    }

    /// An array of items, or nil when the value is not an array or one element is not an item.
    static func decodeList(_ r: inout JSONReader, depth: Int) throws(JSONError) -> [OrderItem]? {
        var items: [OrderItem] = []
        var allItems = true
        let isArray = try r.elements(depth: depth) { r, d throws(JSONError) in
            if let item = try OrderItem.decode(&r, depth: d) { items.append(item) } else { allItems = false }
        }
        return isArray && allItems ? items : nil
    }
}

extension Order {
    static func decode(_ r: inout JSONReader, depth: Int) throws(JSONError) -> Order? {
        var id: Int64?, items: [OrderItem]?, subtotal: Int64?, discount: Int64?, tax: Int64?, total: Int64?
        var userId: Int64?, action: String?, traceId: String?, createdAt: String?
        let isObject = try r.members(depth: depth) { r, field, d throws(JSONError) in
            if field.is("id") { id = try r.readInt(depth: d) }
            else if field.is("items") { items = try OrderItem.decodeList(&r, depth: d) }
            else if field.is("subtotal_cents") { subtotal = try r.readInt(depth: d) }
            else if field.is("discount_cents") { discount = try r.readInt(depth: d) }
            else if field.is("tax_cents") { tax = try r.readInt(depth: d) }
            else if field.is("total_cents") { total = try r.readInt(depth: d) }
            else if field.is("user_id") { userId = try r.readInt(depth: d) }
            else if field.is("action") { action = try r.readString(depth: d) }
            else if field.is("trace_id") { traceId = try r.readString(depth: d) }
            else if field.is("created_at") { createdAt = try r.readString(depth: d) }
            else { try r.skip(depth: d) }
        }
        guard isObject, let id, let items, let subtotal, let discount, let tax, let total else { return nil }
        return Order(id: id, items: items, subtotalCents: subtotal, discountCents: discount, taxCents: tax,
                     totalCents: total, userId: userId, action: action, traceId: traceId, createdAt: createdAt)
    }
}

extension AuditRecord {
    static func decode(_ r: inout JSONReader, depth: Int) throws(JSONError) -> AuditRecord? {
        var id: Int64?, status: String?
        let isObject = try r.members(depth: depth) { r, field, d throws(JSONError) in
            if field.is("id") { id = try r.readInt(depth: d) }
            else if field.is("status") { status = try r.readString(depth: d) }
            else { try r.skip(depth: d) }
        }
        guard isObject, let id, let status else { return nil }
        return AuditRecord(id: id, status: status)
    }
}

/// The members of a service-to-service body that a service reads. `isObject` false: the body
/// was valid JSON but not an object; a decode that throws: not valid JSON.
struct ChainBody {
    var isObject = false
    var user: User?
    var order: Order?
    var audit: AuditRecord?
    var action: String?

    /// Reads `user`, `order`, `audit` and `action` (each the last of its name), skipping the rest.
    static func decode(_ body: UnsafeRawBufferPointer) throws(JSONError) -> ChainBody {
        try JSONReader.decode(body) { r throws(JSONError) in
            var b = ChainBody()
            let isObject = try r.members(depth: 0) { r, field, d throws(JSONError) in
                if field.is("user") { b.user = try User.decode(&r, depth: d) }
                else if field.is("order") { b.order = try Order.decode(&r, depth: d) }
                else if field.is("audit") { b.audit = try AuditRecord.decode(&r, depth: d) }
                else if field.is("action") { b.action = try r.readString(depth: d) }
                else { try r.skip(depth: d) }
            }
            b.isObject = isObject
            return b
        }
    }
}
