import Glibc
import Postgres

/// Every statement the services run, prepared once per connection. The index is the enum's
/// raw value; the text is also the `db.query.text` span attribute (parameters, never values).
/// `selectUser`, `insertOrder` and `insertAudit` also have a multi-row form (`multiRow`): the
/// pool sends the queries of one of them that meet in one batch as one statement, and the span
/// then carries that text.
enum SQL: Int, CaseIterable {
    case selectUser, insertUser, insertOrder, insertAudit, ping, listUsers, listOrders, getOrder, listAudit
    case claimKey, finishKey, releaseKey, insertOrderKeyed, insertAuditKeyed, deleteOrder, deleteUser
    case expireKeys, expireRows, listAuditByTrace

    var text: StaticString {
        switch self {
        case .selectUser: return "SELECT id, name, email, tier FROM users WHERE id = $1"
        case .ping: return "SELECT 1"
        case .listUsers: return "SELECT id, name, email, tier FROM users WHERE id > $1 ORDER BY id LIMIT $2"
        case .listOrders:
            return "SELECT id, user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id, created_at FROM orders WHERE id > $1 ORDER BY id LIMIT $2"
        case .getOrder:
            return "SELECT id, user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id, created_at FROM orders WHERE id = $1"
        // Two statements, not one with `($3 = '' OR trace_id = $3)`: the services run generic
        // plans (ChainService), and one plan cannot both walk the id index and use trace_id's.
        case .listAudit:
            return "SELECT id, trace_id, user_id, order_id, action, status, details, created_at FROM audit_logs WHERE id > $1 ORDER BY id LIMIT $2"
        case .listAuditByTrace:
            return "SELECT id, trace_id, user_id, order_id, action, status, details, created_at FROM audit_logs WHERE trace_id = $3 AND id > $1 ORDER BY id LIMIT $2"
        case .insertUser:
            // xmax = 0: this statement inserted the row (an update of a conflicting one sets it).
            return "INSERT INTO users (id, name, email, tier) VALUES ($1, $2, $3, 'standard') ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING id, name, email, tier, xmax = 0"
        case .insertOrder:
            return "INSERT INTO orders (user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8) RETURNING id"
        case .insertAudit:
            return "INSERT INTO audit_logs (trace_id, user_id, order_id, action, status, details) VALUES ($1, $2, $3, $4, 'completed', $5::jsonb) RETURNING id"
        // Idempotency keys (README "Timeouts, retries and idempotency keys"). The claim is one
        // statement: it takes a new, expired or retryable key, or says why not (mismatch,
        // replay with the stored outcome, in flight). A claim stuck in flight for 30 s (its
        // request outlived every budget: the service died) may be taken again.
        case .claimKey:
            return """
            WITH claim AS (INSERT INTO idempotency_keys AS k (key, request_hash, token, state, trace_id, expires_at) \
            VALUES ($1, $2, gen_random_uuid()::text, 'in_flight', $3, now() + interval '24 hours') \
            ON CONFLICT (key) DO UPDATE SET token = CASE WHEN k.expires_at < now() THEN EXCLUDED.token ELSE k.token END, \
            request_hash = EXCLUDED.request_hash, state = 'in_flight', status = NULL, response = NULL, \
            trace_id = EXCLUDED.trace_id, claimed_at = now(), expires_at = EXCLUDED.expires_at \
            WHERE k.expires_at < now() OR (k.request_hash = EXCLUDED.request_hash AND (k.state = 'retry' \
            OR (k.state = 'in_flight' AND k.claimed_at < now() - interval '30 seconds'))) RETURNING token) \
            SELECT 'claimed', token, 0, '' FROM claim UNION ALL \
            SELECT CASE WHEN request_hash <> $2 THEN 'mismatch' WHEN state = 'done' THEN 'replay' ELSE 'in_flight' END, \
            token, coalesce(status, 0), coalesce(response, '') FROM idempotency_keys WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM claim)
            """
        case .finishKey:
            return "UPDATE idempotency_keys SET state = 'done', status = $4, response = $5 WHERE key = $1 AND token = $2 AND trace_id = $3 AND state = 'in_flight'"
        case .releaseKey:
            return "UPDATE idempotency_keys SET state = 'retry' WHERE key = $1 AND token = $2 AND trace_id = $3 AND state = 'in_flight'"
        // A keyed write: the (service, token) row and the order in one statement, the order's id
        // taken from its sequence first; a token seen before yields the row written then
        // (second column false). No row at all: the same token is being written right now.
        case .insertOrderKeyed:
            return """
            WITH claim AS (INSERT INTO idempotency_rows (service, token, row_id, expires_at) \
            VALUES ('order', $9, nextval(pg_get_serial_sequence('orders', 'id')), now() + interval '25 hours') \
            ON CONFLICT (service, token) DO NOTHING RETURNING row_id), \
            ins AS (INSERT INTO orders (id, user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id) \
            SELECT row_id, $1, $2, $3::jsonb, $4, $5, $6, $7, $8 FROM claim RETURNING id) \
            SELECT id, true FROM ins UNION ALL SELECT row_id, false FROM idempotency_rows \
            WHERE service = 'order' AND token = $9 AND NOT EXISTS (SELECT 1 FROM claim)
            """
        case .insertAuditKeyed:
            return """
            WITH claim AS (INSERT INTO idempotency_rows (service, token, row_id, expires_at) \
            VALUES ('audit', $6, nextval(pg_get_serial_sequence('audit_logs', 'id')), now() + interval '25 hours') \
            ON CONFLICT (service, token) DO NOTHING RETURNING row_id), \
            ins AS (INSERT INTO audit_logs (id, trace_id, user_id, order_id, action, status, details) \
            SELECT row_id, $1, $2, $3, $4, 'completed', $5::jsonb FROM claim RETURNING id) \
            SELECT id, true FROM ins UNION ALL SELECT row_id, false FROM idempotency_rows \
            WHERE service = 'audit' AND token = $6 AND NOT EXISTS (SELECT 1 FROM claim)
            """
        // Undoing this request's own order (and its token row) when audit-service committed nothing.
        case .deleteOrder:
            return "WITH d AS (DELETE FROM orders WHERE id = $1 RETURNING id) DELETE FROM idempotency_rows WHERE service = 'order' AND row_id IN (SELECT id FROM d)"
        // Undoing this request's own user creation; an order of another request that uses the
        // user already makes it fail (orders.user_id REFERENCES users).
        case .deleteUser:
            return "DELETE FROM users WHERE id = $1"
        // Cleanup off the request path: a bounded batch, skipping rows in use.
        case .expireKeys:
            return "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys WHERE expires_at < now() LIMIT 500 FOR UPDATE SKIP LOCKED)"
        case .expireRows:
            return "DELETE FROM idempotency_rows WHERE (service, token) IN (SELECT service, token FROM idempotency_rows WHERE service = $1 AND expires_at < now() LIMIT 500 FOR UPDATE SKIP LOCKED)"
        }
    }

    /// The multi-row form: each `$n` is the array of the coalesced queries' `$n`
    /// (`PGMultiRow`), sent in binary format with the element types listed (the casts'). The
    /// writes insert, and return, their rows in the queries' order; the point read answers each
    /// query by its id (a missing id: no row for it). The writes' unnests are in the SELECT
    /// list, where they run in step without storing their rows first; in `FROM unnest(...)
    /// WITH ORDINALITY` the server spends 9 % more instructions per row (Perf/RESULTS.md,
    /// `pg-array-format.sh`).
    var multiRow: (text: StaticString, split: PGMultiRow.Split, elements: [PGArrayElement])? {
        switch self {
        case .selectUser:
            return ("SELECT id, name, email, tier FROM users WHERE id = ANY($1::bigint[])", .byKey(column: 0, param: 0), [.int8])
        case .insertOrder:
            return ("""
                INSERT INTO orders (user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id) \
                SELECT unnest($1::bigint[]), unnest($2::text[]), unnest($3::jsonb[]), unnest($4::bigint[]), unnest($5::bigint[]), \
                unnest($6::bigint[]), unnest($7::bigint[]), unnest($8::text[]) RETURNING id
                """, .inOrder, [.int8, .text, .jsonb, .int8, .int8, .int8, .int8, .text])
        case .insertAudit:
            return ("""
                INSERT INTO audit_logs (trace_id, user_id, order_id, action, status, details) \
                SELECT unnest($1::text[]), unnest($2::bigint[]), unnest($3::bigint[]), unnest($4::text[]), 'completed', \
                unnest($5::jsonb[]) RETURNING id
                """, .inOrder, [.text, .int8, .int8, .text, .jsonb])
        default:
            return nil
        }
    }

    var spanName: StaticString {
        switch self {
        case .selectUser: return "SELECT users"
        case .ping: return "SELECT"
        case .listUsers: return "SELECT users"
        case .listOrders, .getOrder: return "SELECT orders"
        case .listAudit, .listAuditByTrace: return "SELECT audit_logs"
        case .insertUser: return "INSERT users"
        case .insertOrder: return "INSERT orders"
        case .insertAudit, .insertAuditKeyed: return "INSERT audit_logs"
        case .insertOrderKeyed: return "INSERT orders"
        case .claimKey: return "INSERT idempotency_keys"
        case .finishKey, .releaseKey: return "UPDATE idempotency_keys"
        case .deleteOrder: return "DELETE orders"
        case .deleteUser: return "DELETE users"
        case .expireKeys: return "DELETE idempotency_keys"
        case .expireRows: return "DELETE idempotency_rows"
        }
    }

    var isRead: Bool {
        switch self {
        case .selectUser, .ping, .listUsers, .listOrders, .getOrder, .listAudit, .listAuditByTrace: return true
        default: return false
        }
    }

    var operation: StaticString {
        switch self {
        case .finishKey, .releaseKey: return "UPDATE"
        case .deleteOrder, .deleteUser, .expireKeys, .expireRows: return "DELETE"
        default: return isRead ? "SELECT" : "INSERT"
        }
    }

    var table: StaticString {
        switch self {
        case .selectUser, .insertUser, .listUsers: return "users"
        case .listOrders, .getOrder: return "orders"
        case .listAudit, .listAuditByTrace: return "audit_logs"
        case .ping: return ""
        case .insertOrder, .insertOrderKeyed, .deleteOrder: return "orders"
        case .insertAudit, .insertAuditKeyed: return "audit_logs"
        case .deleteUser: return "users"
        case .claimKey, .finishKey, .releaseKey, .expireKeys: return "idempotency_keys"
        case .expireRows: return "idempotency_rows"
        }
    }

    /// `CHAIN_PG_MULTIROW=0` in the environment leaves the multi-row forms out (to measure them).
    static var statements: [PGStatement] {
        let multiRow = getenv("CHAIN_PG_MULTIROW").map { String(cString: $0) } != "0"
        return allCases.map { sql in
            PGStatement(name: "s\(sql.rawValue)", sql: sql.text.description, isWrite: !sql.isRead,
                        multiRow: multiRow ? sql.multiRow.map { PGMultiRow(sql: $0.text.description, split: $0.split, elements: $0.elements) } : nil)
        }
    }
}
