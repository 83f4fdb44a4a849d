-- The services' role on Kubernetes: the grants of infra/postgres/app-role.sql, run by the
-- migrate Job (postgres.yaml) after `chain migrate` created the tables. CloudNativePG creates
-- the role itself (Cluster spec.managed.roles, password from the chain-db-app-role Secret), so
-- the CREATE ROLE of app-role.sql is not here; every GRANT and REVOKE is, word for word
-- (scripts/k8s-check.sh compares them). The connection settings the services pass in libpq's
-- `options` are set on the role as well: PgBouncer (the Pooler) drops `options` from the
-- startup packet (CloudNativePG sets ignore_startup_parameters=extra_float_digits,options), and
-- the pipeline's rules depend on the server stopping a statement before the client gives up
-- (README, "Deadlines"; PGConfig.serverTimeouts: 1500, 1000, 5000 ms).
REVOKE ALL ON DATABASE chain FROM PUBLIC;
GRANT CONNECT ON DATABASE chain TO chain_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO chain_app;
GRANT SELECT, INSERT ON users, orders, audit_logs TO chain_app;
GRANT UPDATE (id) ON users TO chain_app;
GRANT USAGE ON SEQUENCE orders_id_seq, audit_logs_id_seq TO chain_app;
GRANT DELETE ON users, orders TO chain_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO chain_app;
GRANT SELECT, INSERT, DELETE ON idempotency_rows TO chain_app;

ALTER ROLE chain_app SET statement_timeout = 1500;
ALTER ROLE chain_app SET lock_timeout = 1000;
ALTER ROLE chain_app SET idle_in_transaction_session_timeout = 5000;
ALTER ROLE chain_app SET TimeZone = 'UTC';
