-- The services' role for the compose stack's PostgreSQL (infra/docker-compose.yaml), run once by
-- 20-app-role.sh after 10-schema.sql (infra/schema.sql, which stays identical to the schema
-- `chain migrate` embeds, Sources/ChainServices/Schema/Schema.swift). The superuser of the
-- image (POSTGRES_USER, chain_admin) owns the tables; chain_app, the role the services connect
-- as, can read and add rows, undo its own writes of a failed request, and keep the idempotency
-- tables; nothing else: no other UPDATE or DELETE, no TRUNCATE, DDL or other database.
-- The password comes from psql's variable app_password (CHAIN_DB_PASSWORD in infra/.env).
CREATE ROLE chain_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';

REVOKE ALL ON DATABASE chain FROM PUBLIC;
GRANT CONNECT ON DATABASE chain TO chain_app;
-- PostgreSQL 15: PUBLIC has no CREATE on schema public any more; said again for clarity.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO chain_app;

GRANT SELECT, INSERT ON users, orders, audit_logs TO chain_app;
-- The one exception: user-service creates an unknown user with
-- `INSERT ... ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING ...`
-- (Sources/ChainServices/Services/SQL.swift), and ON CONFLICT DO UPDATE needs UPDATE on the
-- column it sets. Only that column, only that table: it can rewrite an id with itself.
GRANT UPDATE (id) ON users TO chain_app;
-- nextval() for the bigserial ids of orders and audit_logs (USAGE allows nextval and currval,
-- not setval).
GRANT USAGE ON SEQUENCE orders_id_seq, audit_logs_id_seq TO chain_app;
-- A 502/503 promises nothing was committed (API.md), so a request that fails after writing undoes
-- its own rows: order-service deletes the order it wrote when audit-service committed nothing,
-- user-service the user it created (SQL.swift deleteOrder, deleteUser). audit_logs is never
-- deleted from.
GRANT DELETE ON users, orders TO chain_app;
-- Idempotency-Key (README "Timeouts, retries and idempotency keys"): keys are claimed (INSERT ...
-- ON CONFLICT DO UPDATE), finished or released (UPDATE) and expired (DELETE) by the services;
-- token rows are written with the order or audit row and expired.
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO chain_app;
GRANT SELECT, INSERT, DELETE ON idempotency_rows TO chain_app;
