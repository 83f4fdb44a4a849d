/// The schema and seed data of API.md, applied by `chain migrate` (idempotent). The same text
/// is `infra/schema.sql` (for psql and compose); a test keeps the two identical.
public enum Schema {
    public static let sql = #"""
-- The schema and seed data of ../shared/API.md. Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS users (
  id         bigint PRIMARY KEY,
  name       text   NOT NULL,
  email      text   NOT NULL,
  tier       text   NOT NULL CHECK (tier IN ('standard','silver','gold')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orders (
  id             bigserial PRIMARY KEY,
  user_id        bigint NOT NULL REFERENCES users(id),
  action         text   NOT NULL,
  items          jsonb  NOT NULL,
  subtotal_cents bigint NOT NULL,
  discount_cents bigint NOT NULL,
  tax_cents      bigint NOT NULL,
  total_cents    bigint NOT NULL,
  trace_id       text   NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS audit_logs (
  id         bigserial PRIMARY KEY,
  trace_id   text   NOT NULL,
  user_id    bigint NOT NULL,
  order_id   bigint,
  action     text   NOT NULL,
  status     text   NOT NULL,
  details    jsonb  NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_logs_trace_id ON audit_logs (trace_id);

INSERT INTO users (id, name, email, tier)
SELECT i, 'User ' || i, 'user' || i || '@example.com',
       CASE WHEN i % 10 = 0 THEN 'gold' WHEN i % 10 IN (1, 2) THEN 'silver' ELSE 'standard' END
FROM generate_series(1, 10000) AS i
ON CONFLICT (id) DO NOTHING;

"""#
}
