#!/usr/bin/env bash
# JSONata conformance scoreboard for algawf.eval against a running cluster.
#   test/conformance/run.sh PORT
# Uses PGHOST/PGUSER/PGDATABASE when set, else the dev cluster's socket
# (tmp_check/sock), user postgres, database postgres.  Needs bash, perl (core
# modules only) and psql.  Writes a JSON summary to tmp_check/conformance.json
# (CONFORMANCE_SUMMARY overrides).  Exits non-zero if any in-scope case fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${1:-${PGPORT:-54329}}
export PGHOST=${PGHOST:-$PWD/tmp_check/sock}
export PGUSER=${PGUSER:-postgres}
export PGDATABASE=${PGDATABASE:-postgres}
psql -X -q -p "$PORT" -c "CREATE EXTENSION IF NOT EXISTS algawf CASCADE" >/dev/null 2>&1 || true
exec perl test/conformance/run.pl --port "$PORT" \
    --summary "${CONFORMANCE_SUMMARY:-$PWD/tmp_check/conformance.json}" "${@:2}"
