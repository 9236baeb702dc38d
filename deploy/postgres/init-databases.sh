#!/usr/bin/env bash
# One database and one login role per service, each with its own password; nobody else may
# connect to a service's database. Runs once, when the PostgreSQL volume is initialised
# (docker-entrypoint-initdb.d); passwords come from the environment (.env), never from here.
set -euo pipefail

for service in catalog requests notify audit identity; do
  var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="${!var:?$var 未设置}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
