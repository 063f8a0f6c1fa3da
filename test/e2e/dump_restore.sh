#!/usr/bin/env bash
# pg_dump of a database with both extensions and users' rows restores into a
# fresh database with every row intact.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

q -d postgres -c "DROP DATABASE IF EXISTS dr_src" -c "DROP DATABASE IF EXISTS dr_dst" -c "CREATE DATABASE dr_src"
q -d dr_src -c "CREATE EXTENSION algawf CASCADE" -c "SELECT psa.load_sample_data()" >/dev/null
q -d dr_src -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dr_member') THEN CREATE ROLE dr_member; END IF; END \$\$" \
    -c "SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000a', 'dr_member')" >/dev/null

# every table of both schemas, with its row count and a content hash
snapshot() {
    q -d "$1" <<'SQL'
CREATE TEMP TABLE snap(tbl text, n bigint, h text);
DO $$
DECLARE t regclass; n bigint; h text;
BEGIN
    FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
             WHERE s.nspname IN ('algawf', 'psa') AND c.relkind = 'r' ORDER BY c.oid::regclass::text LOOP
        EXECUTE format('SELECT count(*), md5(coalesce(string_agg(x::text, ''|'' ORDER BY x::text), '''')) FROM %s x', t) INTO n, h;
        INSERT INTO snap VALUES (t::text, n, h);
    END LOOP;
END $$;
SELECT tbl || ' ' || n || ' ' || h FROM snap ORDER BY tbl;
SQL
}
before=$(snapshot dr_src)
rows=$(echo "$before" | awk '{s += $2} END {print s+0}')
ok $([ "$rows" -gt 50 ]; echo $?) "the source database holds sample rows ($rows)"

dump=$TMP_CHECK/dr.dump
pg_dump -Fc -d dr_src -f "$dump"
ok $? "pg_dump succeeds"
q -d postgres -c "CREATE DATABASE dr_dst"
pg_restore -d dr_dst "$dump" 2> "$TMP_CHECK/dr_restore.err"
ok $? "pg_restore into a fresh database succeeds"
[ -s "$TMP_CHECK/dr_restore.err" ] && sed 's/^/# /' "$TMP_CHECK/dr_restore.err" | head -20

after=$(snapshot dr_dst)
is "$after" "$before" "every table has the same rows after restore"
is "$(q -d dr_dst -c "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname LIKE 'algawf%'")" \
   "algawf,algawf_psa" "both extensions are restored as extensions"

q -d postgres -c "DROP DATABASE dr_src" -c "DROP DATABASE dr_dst"
done_testing
