#!/usr/bin/env bash
# The demo: installs what is missing, builds algawf, installs it into a private
# PostgreSQL 15 tree, starts a throwaway cluster with algawf and pg_cron
# preloaded, loads the sample PSA data and shows it working (test/demo.sql).
# The cluster keeps running so you can look around; the last lines say how to
# connect and how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${ALGAWF_DEMO_PORT:-54320}
export TMP_CHECK=$PWD/tmp_check/demo
bash test/setup-deps.sh
bash test/dev-cluster.sh stop >/dev/null 2>&1 || true
rm -rf "$TMP_CHECK"
bash test/dev-cluster.sh start "$PORT"
eval "$(bash test/dev-cluster.sh env "$PORT")"
psql -X -q -v ON_ERROR_STOP=1 -f test/demo.sql
cat <<MSG

The demo cluster is running on port $PORT (socket $TMP_CHECK/sock).
  connect:  $TMP_CHECK/install/usr/lib/postgresql/15/bin/psql -h $TMP_CHECK/sock -p $PORT -U postgres algawf_test
  stop:     TMP_CHECK=$TMP_CHECK bash test/dev-cluster.sh clean
MSG
