import Postgres

/// Every statement the services run, prepared once per connection. The index is the enum's
/// raw value; the text is also the `db.query.text` span attribute (parameters, never values).
enum SQL: Int, CaseIterable {
    case selectUser, insertUser, insertOrder, insertAudit, ping, listUsers, listOrders, getOrder, listAudit

    var text: StaticString {
        switch self {
        case .selectUser: return "SELECT id, name, email, tier FROM users WHERE id = $1"
        case .ping: return "SELECT 1"
        case .listUsers: return "SELECT id, name, email, tier FROM users WHERE id > $1 ORDER BY id LIMIT $2"
        case .listOrders:
            return "SELECT id, user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id, created_at FROM orders WHERE id > $1 ORDER BY id LIMIT $2"
        case .getOrder:
            return "SELECT id, user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id, created_at FROM orders WHERE id = $1"
        case .listAudit:
            return "SELECT id, trace_id, user_id, order_id, action, status, details, created_at FROM audit_logs WHERE id > $1 AND ($3 = '' OR trace_id = $3) ORDER BY id LIMIT $2"
        case .insertUser:
            return "INSERT INTO users (id, name, email, tier) VALUES ($1, $2, $3, 'standard') ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING id, name, email, tier"
        case .insertOrder:
            return "INSERT INTO orders (user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8) RETURNING id"
        case .insertAudit:
            return "INSERT INTO audit_logs (trace_id, user_id, order_id, action, status, details) VALUES ($1, $2, $3, $4, 'completed', $5::jsonb) RETURNING id"
        }
    }

    var spanName: StaticString {
        switch self {
        case .selectUser: return "SELECT users"
        case .ping: return "SELECT"
        case .listUsers: return "SELECT users"
        case .listOrders, .getOrder: return "SELECT orders"
        case .listAudit: return "SELECT audit_logs"
        case .insertUser: return "INSERT users"
        case .insertOrder: return "INSERT orders"
        case .insertAudit: return "INSERT audit_logs"
        }
    }

    var isRead: Bool {
        switch self {
        case .insertUser, .insertOrder, .insertAudit: return false
        default: return true
        }
    }

    var operation: StaticString { isRead ? "SELECT" : "INSERT" }

    var table: StaticString {
        switch self {
        case .selectUser, .insertUser, .listUsers: return "users"
        case .listOrders, .getOrder: return "orders"
        case .listAudit: return "audit_logs"
        case .ping: return ""
        case .insertOrder: return "orders"
        case .insertAudit: return "audit_logs"
        }
    }

    static var statements: [PGStatement] {
        allCases.map { PGStatement(name: "s\($0.rawValue)", sql: $0.text.description, isWrite: !$0.isRead) }
    }
}
