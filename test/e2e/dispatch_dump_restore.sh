#!/usr/bin/env bash
# pg_dump / pg_restore keeps what users added to the dispatcher: their own
# registered actions (not the shipped catalog, which CREATE EXTENSION
# recreates), family switches, integration overrides, and tenant secrets,
# which still decrypt after the restore because the key travels with them.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

A=00000000-0000-0000-0000-00000000000a
q -d postgres -c "DROP DATABASE IF EXISTS dd_src" -c "DROP DATABASE IF EXISTS dd_dst" -c "CREATE DATABASE dd_src"
q -d dd_src <<SQL >/dev/null
CREATE EXTENSION algawf CASCADE;
SELECT psa.load_sample_data();
CREATE SCHEMA dd;
GRANT USAGE ON SCHEMA dd TO algawf_service;
CREATE FUNCTION dd.echo(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE sql
    AS \$\$ SELECT jsonb_build_object('length', length(input ->> 'secret')) \$\$;
SELECT algawf.register_action('{"id": "dd.echo", "label": "Echo", "category": "Test", "inputSchema": {"type": "object"},
    "outputSchema": {"type": "object"}, "sideEffectful": false, "implementation": {"kind": "sql", "function": "dd.echo"}}');
SET algawf.tenant = '$A';
SELECT algawf.set_secret('DD_TOKEN', 'twelve chars');
SELECT algawf.set_family_enabled('dd', false);
SELECT algawf.set_integration_active('huntress', true, 'dump test');
SQL
ok $? "source database prepared"

dump=$TMP_CHECK/dd.dump
pg_dump -Fc -d dd_src -f "$dump"
ok $? "pg_dump succeeds"
q -d postgres -c "CREATE DATABASE dd_dst"
pg_restore -d dd_dst "$dump" 2> "$TMP_CHECK/dd_restore.err"
ok $? "pg_restore succeeds"
[ -s "$TMP_CHECK/dd_restore.err" ] && sed 's/^/# /' "$TMP_CHECK/dd_restore.err" | head -20

is "$(q -d dd_dst -c "SELECT count(*) FILTER (WHERE shipped) || ' ' || count(*) FILTER (WHERE NOT shipped) FROM algawf.actions")" \
   "$(q -d dd_src -c "SELECT count(*) FILTER (WHERE shipped) || ' ' || count(*) FILTER (WHERE NOT shipped) FROM algawf.actions")" \
   "shipped and user-registered actions come back once each"
is "$(q -d dd_dst -c "SELECT sql_function::text FROM algawf.actions WHERE action_id = 'dd.echo'")" "dd.echo(jsonb,jsonb)" \
   "the user action still names its function"
is "$(q -d dd_dst -c "SET algawf.tenant = '$A'" -c "SELECT string_agg(name, ',') FROM algawf.secrets")" "DD_TOKEN" "the secret is listed"
is "$(q -d dd_dst -c "SET algawf.tenant = '$A'" -c "SELECT algawf.family_enabled('dd')")" "f" "the family switch is kept"
is "$(q -d dd_dst -c "SET algawf.tenant = '$A'" -c "SELECT algawf.integration_active('huntress')")" "t" "the integration override is kept"
q -d dd_dst -c "SET algawf.tenant = '$A'" -c "SELECT algawf.set_family_enabled('dd', true)" >/dev/null
is "$(q -d dd_dst -c "SET algawf.tenant = '$A'" -c "SELECT algawf.call_action('dd.echo', '{\"secret\": {\"\$secret\": \"DD_TOKEN\"}}') ->> 'length'")" \
   "12" "the restored secret decrypts inside the restored action"

q -d postgres -c "DROP DATABASE dd_src" -c "DROP DATABASE dd_dst"
done_testing
