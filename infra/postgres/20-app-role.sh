#!/bin/sh
# Run (sourced) once by the postgres image's entrypoint from /docker-entrypoint-initdb.d, after
# 10-schema.sql: creates the services' role with the password of CHAIN_DB_PASSWORD
# (infra/docker-compose.yaml, infra/.env). The grants are in app-role.sql beside this file.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$CHAIN_DB_PASSWORD" -f /etc/chain/app-role.sql
