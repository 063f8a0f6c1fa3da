#!/usr/bin/env bash
# Prints the action reference rendered from the registry of a running cluster
# (PGHOST/PGPORT...), or with --write replaces README.md's block with it.
set -euo pipefail
cd "$(dirname "$0")/.."
block=$(psql -X -q -v ON_ERROR_STOP=1 -f test/action-reference.sql)
if [ "${1:-}" != "--write" ]; then printf '%s\n' "$block"; exit 0; fi
BLOCK="$block" perl -0pi -e 's/(<!-- actions:begin -->).*?(<!-- actions:end -->)/$1 . "\n" . $ENV{BLOCK} . "\n" . $2/se' README.md
