#!/usr/bin/env bash
# The whole test suite against a real, throwaway PostgreSQL 15 cluster:
# pg_regress (sql/ + expected/), pgTAP (test/pgtap/ via pg_prove), isolation
# specs (test/isolation/), end-to-end scripts (test/e2e/), the JSONata
# conformance scoreboard and short fuzz runs.  Ends with "N passed, N failed"
# and exits non-zero on any failure.
#
#   bash test/run.sh                 everything
#   bash test/run.sh regress pgtap   only those parts (regress pgtap isolation e2e conformance fuzz)
#   ALGAWF_TEST_PORT=54329  KEEP=1 (leave the cluster running afterwards)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export TMP_CHECK=$ROOT/tmp_check/suite
PORT=${ALGAWF_TEST_PORT:-54329}
PGXS_DIR=/usr/lib/postgresql/15/lib/pgxs
START=$(date +%s)

bash test/setup-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

PGBIN=$TMP_CHECK/install/usr/lib/postgresql/15/bin
SOCK=$TMP_CHECK/sock
export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=algawf_test
export PATH=$PGBIN:$PATH
OUT=$TMP_CHECK/out
PASSED=0
FAILED=0
FAILURES=()

count() {   # count SUITE PASSED FAILED
    PASSED=$((PASSED + $2)); FAILED=$((FAILED + $3))
    printf '%-12s %5d passed, %3d failed\n' "$1" "$2" "$3"
}
fail_note() { FAILURES+=("$1"); }

cleanup() {
    if [ -z "${KEEP:-}" ]; then
        bash test/dev-cluster.sh stop
        rm -rf "$TMP_CHECK"
    else
        echo "cluster left running: $(bash test/dev-cluster.sh env "$PORT")"
    fi
}

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(regress pgtap isolation e2e conformance fuzz)
want() { local p; for p in "${parts[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

# --- cluster ------------------------------------------------------------------
bash test/dev-cluster.sh stop >/dev/null 2>&1
rm -rf "$TMP_CHECK"
if ! bash test/dev-cluster.sh start "$PORT"; then
    cat "$TMP_CHECK/server.log" 2>/dev/null | tail -20
    echo "0 passed, 1 failed"
    exit 1
fi
trap cleanup EXIT
mkdir -p "$OUT"; chmod 777 "$OUT"
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS algawf CASCADE" \
    -c "CREATE EXTENSION IF NOT EXISTS pgtap" -c "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null \
    || { echo "0 passed, 1 failed"; exit 1; }
psql -X -q -c "SELECT psa.load_sample_data()" >/dev/null 2>&1 || true

# --- pg_regress -----------------------------------------------------------------
if want regress && ls sql/*.sql >/dev/null 2>&1; then
    tests=$(ls sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | sort)
    "$PGXS_DIR/src/test/regress/pg_regress" --bindir="$PGBIN" --host="$SOCK" --port="$PORT" \
        --user=postgres --inputdir=. --outputdir="$OUT/regress" --dbname=contrib_regression \
        $tests > "$OUT/regress.log" 2>&1
    p=$(grep -cE '^(ok|test) .* ok( |$)|^(ok|test) .*\.\.\. ok' "$OUT/regress.log")
    f=$(grep -cE '\.\.\. FAILED|^not ok' "$OUT/regress.log")
    grep -E '\.\.\. (ok|FAILED)|^(not )?ok ' "$OUT/regress.log" | sed 's/^/  /'
    if [ "$f" -gt 0 ]; then fail_note "pg_regress: see $OUT/regress/regression.diffs"; cat "$OUT/regress/regression.diffs" 2>/dev/null | head -80; fi
    count regress "$p" "$f"
fi

# --- pgTAP ----------------------------------------------------------------------
if want pgtap && ls test/pgtap/*.sql >/dev/null 2>&1; then
    p=0; f=0
    for t in test/pgtap/*.sql; do
        pg_prove -v -h "$SOCK" -p "$PORT" -U postgres -d algawf_test "$t" > "$OUT/$(basename "$t").tap" 2>&1
        rc=$?
        tp=$(grep -cE '^ok [0-9]' "$OUT/$(basename "$t").tap")
        tf=$(grep -cE '^not ok [0-9]' "$OUT/$(basename "$t").tap")
        if [ $rc -ne 0 ] && [ "$tf" -eq 0 ]; then tf=1; fi
        [ "$tf" -gt 0 ] && { fail_note "pgTAP $t"; grep -E '^not ok|^#|ERROR' "$OUT/$(basename "$t").tap" | head -30 | sed 's/^/    /'; }
        printf '  %-40s %4d ok %3d not ok\n' "$t" "$tp" "$tf"
        p=$((p + tp)); f=$((f + tf))
    done
    count pgtap "$p" "$f"
fi

# --- isolation ------------------------------------------------------------------
if want isolation && ls test/isolation/specs/*.spec >/dev/null 2>&1; then
    specs=$(ls test/isolation/specs/*.spec | xargs -n1 basename | sed 's/\.spec$//' | sort)
    "$PGXS_DIR/src/test/isolation/pg_isolation_regress" --bindir="$PGBIN" --host="$SOCK" --port="$PORT" \
        --user=postgres --inputdir=test/isolation --outputdir="$OUT/isolation" --dbname=isolation_regression \
        --load-extension=pgcrypto --load-extension=algawf_psa --load-extension=algawf \
        $specs > "$OUT/isolation.log" 2>&1
    p=$(grep -cE '\.\.\. ok|^ok ' "$OUT/isolation.log")
    f=$(grep -cE '\.\.\. FAILED|^not ok' "$OUT/isolation.log")
    grep -E '\.\.\. (ok|FAILED)|^(not )?ok ' "$OUT/isolation.log" | sed 's/^/  /'
    if [ "$f" -gt 0 ]; then fail_note "isolation: see $OUT/isolation/regression.diffs"; head -60 "$OUT/isolation/regression.diffs" 2>/dev/null; fi
    count isolation "$p" "$f"
fi

# --- end to end -----------------------------------------------------------------
if want e2e && ls test/e2e/*.sh >/dev/null 2>&1; then
    p=0; f=0
    for t in test/e2e/*.sh; do
        log=$OUT/$(basename "$t").log
        ALGAWF_TEST_PORT=$PORT TMP_CHECK=$TMP_CHECK timeout 600 bash "$t" > "$log" 2>&1
        rc=$?
        tp=$(grep -cE '^ok [0-9]' "$log"); tf=$(grep -cE '^not ok [0-9]' "$log")
        if [ $rc -ne 0 ] && [ "$tf" -eq 0 ]; then tf=1; fi
        [ "$tf" -gt 0 ] && { fail_note "e2e $t"; grep -E '^not ok|^#' "$log" | head -20 | sed 's/^/    /'; tail -5 "$log" | sed 's/^/    /'; }
        printf '  %-40s %4d ok %3d not ok\n' "$t" "$tp" "$tf"
        p=$((p + tp)); f=$((f + tf))
    done
    count e2e "$p" "$f"
fi

# --- JSONata conformance --------------------------------------------------------
if want conformance && [ -x test/conformance/run.sh ]; then
    test/conformance/run.sh "$PORT" > "$OUT/conformance.log" 2>&1
    rc=$?
    line=$(grep -E '^conformance: [0-9]+ passed, [0-9]+ failed' "$OUT/conformance.log" | tail -1)
    sed -n '/scoreboard/,$p' "$OUT/conformance.log" | head -120 | sed 's/^/  /'
    if [ -n "$line" ]; then
        cp=$(echo "$line" | sed -E 's/^conformance: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
        cf=$(echo "$line" | sed -E 's/^conformance: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
    else
        cp=0; cf=1
    fi
    [ $rc -ne 0 ] && [ "$cf" -eq 0 ] && cf=1
    [ "$cf" -gt 0 ] && fail_note "conformance: see $OUT/conformance.log"
    count conformance "$cp" "$cf"
fi

# --- short fuzz runs ------------------------------------------------------------
if want fuzz && ls test/fuzz/fuzz_*.c >/dev/null 2>&1; then
    p=0; f=0
    if make -s -C test/fuzz > "$OUT/fuzz-build.log" 2>&1; then
        for bin in test/fuzz/bin/fuzz_*; do
            name=$(basename "$bin")
            corpus=$OUT/corpus-$name; mkdir -p "$corpus"
            seeds=test/fuzz/seeds/${name#fuzz_}
            [ -d "$seeds" ] || seeds=
            if "$bin" -max_total_time=${FUZZ_SECONDS:-20} -rss_limit_mb=2048 -timeout=10 "$corpus" $seeds \
                > "$OUT/$name.log" 2>&1; then
                p=$((p + 1)); printf '  %-40s ok (%s)\n' "$name" "$(grep -oE 'Done [0-9]+ runs' "$OUT/$name.log" | tail -1)"
            else
                f=$((f + 1)); fail_note "fuzz $name: see $OUT/$name.log"; tail -30 "$OUT/$name.log" | sed 's/^/    /'
            fi
        done
    else
        f=1; fail_note "fuzz build"; tail -20 "$OUT/fuzz-build.log"
    fi
    count fuzz "$p" "$f"
fi

echo
for n in "${FAILURES[@]+"${FAILURES[@]}"}"; do echo "FAILED: $n"; done
echo "suite took $(( $(date +%s) - START ))s"
if [ -n "${KEEP:-}" ] || [ "$FAILED" -gt 0 ]; then
    # keep the logs of a failing run
    rm -rf "$ROOT/tmp_check/last-run"; cp -r "$OUT" "$ROOT/tmp_check/last-run" 2>/dev/null || true
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
