#!/bin/sh
# Run once by the postgres image's entrypoint from /docker-entrypoint-initdb.d (executed when it
# has its exec bit, sourced otherwise: so no `set`, no `exit`, no `exec` here), after
# 10-schema.sql: creates the services' role with the password of CHAIN_DB_PASSWORD
# (infra/docker-compose.yaml, infra/.env). The grants are in app-role.sql, mounted at
# /etc/chain/app-role.sql. ON_ERROR_STOP makes psql fail on the first error, and the
# entrypoint stops on a failing init script.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$CHAIN_DB_PASSWORD" -f /etc/chain/app-role.sql
