#!/usr/bin/env bash
# Steps per second of a 10-step workflow run inline (algawf.run(..., wait => true)),
# one run per transaction, measured with pgbench on one connection.
#   bash test/bench/engine_steps.sh PORT [SECONDS]     (against test/dev-cluster.sh's cluster)
# Prints one line per workflow: name, runs/s, steps/s, mean ms per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${1:?port}
SECS=${2:-10}
eval "$(bash test/dev-cluster.sh env "$PORT")"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS algawf CASCADE" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -f test/bench/engine_steps.sql >/dev/null
script=$(mktemp)
trap 'rm -f "$script"' EXIT
for wf in bench-db bench-control; do
    echo "SELECT algawf.run('$wf', '{\"n\": 1}', true);" > "$script"
    out=$(PGOPTIONS="-c algawf.tenant=00000000-0000-0000-0000-0000000000b1" \
          pgbench -n -c 1 -T "$SECS" -f "$script" 2>&1)
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
    lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
    awk -v w="$wf" -v t="$tps" -v l="$lat" 'BEGIN { printf "%-14s %8.1f runs/s %9.0f steps/s %7.3f ms/run\n", w, t, t * 10, l }'
done
