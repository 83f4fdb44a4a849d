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

-- Idempotency-Key of POST /process (API.md "Retries, timeouts and idempotency"); not part of
-- API.md's three tables. user-service's record of each key: `token` is what travels down the
-- chain (kept when a 5xx lets the key be used again, new when an expired key is reused);
-- `status` and `response` are the outcome once it is final (200 or 4xx, state 'done').
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key          text   PRIMARY KEY,
  request_hash text   NOT NULL,
  token        text   NOT NULL,
  state        text   NOT NULL CHECK (state IN ('in_flight','done','retry')),
  status       int,
  response     text,
  trace_id     text   NOT NULL,
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON idempotency_keys (expires_at);
-- The row order-service (orders.id) and audit-service (audit_logs.id) wrote for a token,
-- inserted in the same statement as that row: a unique (service, token) makes each write once.
CREATE TABLE IF NOT EXISTS idempotency_rows (
  service    text   NOT NULL,
  token      text   NOT NULL,
  row_id     bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (service, token)
);
CREATE INDEX IF NOT EXISTS idempotency_rows_expires_at ON idempotency_rows (expires_at);

INSERT INTO users (id, name, email, tier)
SELECT i, 'User ' || i, 'user' || i || '@example.com',
       CASE WHEN i % 10 = 0 THEN 'gold' WHEN i % 10 IN (1, 2) THEN 'silver' ELSE 'standard' END
FROM generate_series(1, 10000) AS i
ON CONFLICT (id) DO NOTHING;
