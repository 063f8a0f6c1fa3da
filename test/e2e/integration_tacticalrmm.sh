#!/usr/bin/env bash
# Tactical RMM against the fake vendor server: every action with the X-API-KEY
# header, run_script's output, run_command's permission, Knox login (token
# cached, logging in again after a 401, bad credentials), errors.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/integration_lib.bash"

cleanup() {
    sql_each "DELETE FROM psa.rmm_integrations WHERE tenant = '$B' AND provider = 'tacticalrmm'" \
             "DELETE FROM psa.role_permissions WHERE tenant = '$B' AND permission_id = '0000000b-00ff-0000-0000-000000000001'" \
             "DELETE FROM psa.permissions WHERE tenant = '$B' AND permission_id = '0000000b-00ff-0000-0000-000000000001'" \
             "DELETE FROM algawf.integration_tokens WHERE tenant = '$B'" \
             "DELETE FROM algawf.rate_limits WHERE tenant = '$B'" \
             "SELECT algawf.delete_secret(n) FROM unnest(ARRAY['tacticalrmm_api_key', 'tacticalrmm_username', 'tacticalrmm_password']) n"
    restore_hosts
    vendor_stop
}
trap cleanup EXIT
cleanup
START=$(q -c "SELECT clock_timestamp()")
vendor_start 18111 || { echo "not ok 1 - the fake vendor server starts"; exit 1; }
allow_loopback

qb -c "INSERT INTO psa.rmm_integrations (tenant, provider, instance_url, is_active, connected_at)
       VALUES ('$B', 'tacticalrmm', 'http://127.0.0.1:18111/tactical', true, now())" \
   -c "SELECT algawf.set_secret('tacticalrmm_api_key', 'tactical-key')" >/dev/null
is "$(qb -c "SELECT algawf.integration_active('tacticalrmm')")" t "connected: the Tactical RMM module is available"

r=$(run_action tacticalrmm.agents.find '{"live": true}')
is "$(jget "$r" output count)" 2 "agents.find live: every agent"
is "$(jget "$r" output agents 0 agent_id)/$(jget "$r" output agents 0 agent_online)/$(jget "$r" output agents 1 agent_online)/$(jget "$r" output agents 0 organization_id)" \
   "AgEnT-ONE/true/false/4" "mapped into Alga's agent shape"
is "$(vreq "r->>'method' || ' ' || (r->>'path') || ' ' || (r->'headers'->>'x-api-key')" "r->>'path' LIKE '/tactical/%'")" \
   "GET /tactical/agents/ tactical-key" "GET /agents/ with the X-API-KEY header"
r=$(run_action tacticalrmm.agents.find '{"live": true, "query": "initech"}')
is "$(jget "$r" output count)/$(jget "$r" output agents 0 hostname)" "1/INITECH-LT3" "filtered by host name"
r=$(run_action tacticalrmm.agents.get '{"agent_id": "AgEnT-TWO"}')
is "$(jget "$r" output agent os_name)" "Windows 10 Pro" "agents.get (GET /agents/{agent_id}/)"
r=$(run_action tacticalrmm.agents.get '{"agent_id": "nope"}')
is "$(jget "$r" error code)" NOT_FOUND "an unknown agent: NOT_FOUND"
ok $([[ "$(jget "$r" error message)" == *"agent nope not found"* ]]; echo $?) "naming the agent"
r=$(run_action tacticalrmm.scripts.list '{"query": "disk"}')
is "$(jget "$r" output count)/$(jget "$r" output scripts 0 id)" "1/90" "scripts.list (GET /scripts/) filtered by name"

# ---- run_script returns the output -------------------------------------------------------
r=$(run_action tacticalrmm.agents.run_script '{"agent_id": "AgEnT-ONE", "script_id": 90, "args": ["-All"], "timeout": 120}')
is "$(jget "$r" output output)" "$(printf 'C: freed 4.2 GB\r\nFree space now 38%%')" "run_script returns the script's output"
is "$(vreq "r->>'body'" "r->>'path' = '/tactical/agents/AgEnT-ONE/runscript/'")" \
   '{"args": ["-All"], "emails": [], "output": "wait", "script": 90, "timeout": 120, "env_vars": [], "emailMode": "default", "run_as_user": false, "custom_field": null, "save_all_output": false}' \
   "POST /agents/{agent_id}/runscript/ waiting for the output"
r=$(run_action tacticalrmm.agents.run_script '{"agent_id": "AgEnT-TWO", "script_id": 90}')
is "$(jget "$r" error code)" VALIDATION_ERROR "an offline agent: VALIDATION_ERROR"
ok $([[ "$(jget "$r" error message)" == *"Unable to contact the agent"* ]]; echo $?) "with Tactical's reason"

# ---- run_command needs rmm:execute_command --------------------------------------------------
r=$(run_action tacticalrmm.agents.run_command '{"agent_id": "AgEnT-ONE", "command": "hostname"}')
is "$(jget "$r" error code)" PERMISSION_DENIED "run_command without rmm:execute_command: refused"
is "$(vcount "r->>'path' LIKE '/tactical/agents/AgEnT-ONE/cmd/'")" 0 "nothing was sent"
qb -c "INSERT INTO psa.permissions (tenant, permission_id, resource, action) VALUES ('$B', '0000000b-00ff-0000-0000-000000000001', 'rmm', 'execute_command')" \
   -c "INSERT INTO psa.role_permissions (tenant, role_id, permission_id) VALUES ('$B', '0000000b-0002-0000-0000-000000000001', '0000000b-00ff-0000-0000-000000000001')" >/dev/null
r=$(run_action tacticalrmm.agents.run_command '{"agent_id": "AgEnT-ONE", "command": "hostname", "shell": "cmd"}')
is "$(jget "$r" output output)" "ran: hostname" "with it, run_command returns the output"
is "$(vreq "r->>'body'" "r->>'path' = '/tactical/agents/AgEnT-ONE/cmd/'")" \
   '{"cmd": "hostname", "shell": "cmd", "timeout": 30, "run_as_user": false}' "POST /agents/{agent_id}/cmd/"
is "$(qb -c "SELECT string_agg(outcome, ',' ORDER BY at) FROM algawf.audit_log WHERE action_id = 'tacticalrmm.agents.run_command' AND at > '$START'")" \
   "FAILED,DEFERRED,SUCCEEDED" "the audit log has the refusal, the queued call and its completion"

r=$(run_action tacticalrmm.agents.reboot '{"agent_id": "AgEnT-TWO"}')
is "$(jget "$r" output reboot_requested)/$(jget "$r" output agent_id)" "true/AgEnT-TWO" "agents.reboot (POST /agents/{agent_id}/reboot/)"

# ---- a wrong API key -----------------------------------------------------------------------------
qb -c "SELECT algawf.set_secret('tacticalrmm_api_key', 'not-the-key')" >/dev/null
r=$(run_action tacticalrmm.scripts.list '{}')
is "$(jget "$r" error code)" PERMISSION_DENIED "a wrong API key: PERMISSION_DENIED"
ok $([[ "$(jget "$r" error hint)" == *tacticalrmm_api_key* ]]; echo $?) "the hint names the secret"

# ---- Knox: login, token cached, login again after a 401 --------------------------------------------
qb -c "UPDATE psa.rmm_integrations SET settings = '{\"auth_mode\": \"knox\"}' WHERE tenant = '$B' AND provider = 'tacticalrmm'" \
   -c "SELECT algawf.set_secret('tacticalrmm_username', 'tech')" \
   -c "SELECT algawf.set_secret('tacticalrmm_password', 'tech-pass')" >/dev/null
vmark
r=$(run_action tacticalrmm.agents.get '{"agent_id": "AgEnT-ONE"}')
is "$(jget "$r" status)" SUCCEEDED "Knox: the call succeeds"
is "$(vreq "r->>'method' || ' ' || (r->>'path') || ' ' || (r->>'body')" "n > $VMARK AND r->>'path' = '/tactical/v2/login/'")" \
   'POST /tactical/v2/login/ {"username":"tech","password":"tech-pass"}' "after logging in at /v2/login/"
knox=$(vreq "r->'headers'->>'authorization'" "n > $VMARK AND r->>'path' = '/tactical/agents/AgEnT-ONE/'")
ok $([[ "$knox" =~ ^Token\ knox-[0-9]+$ ]]; echo $?) "with Authorization: Token <knox token> ($knox)"
vmark
run_action tacticalrmm.scripts.list '{}' >/dev/null
is "$(vcount "n > $VMARK AND r->>'path' = '/tactical/v2/login/'")" 0 "the token is cached: no second login"
vendor /_revoke >/dev/null
vmark
r=$(run_action tacticalrmm.scripts.list '{}')
is "$(jget "$r" status)" SUCCEEDED "an expired Knox token (401): logged in again, the call succeeds"
is "$(vreq "r->>'path'" "n > $VMARK AND r->>'path' LIKE '/tactical/%'" | tr '\n' ' ')" "/tactical/scripts/ /tactical/v2/login/ /tactical/scripts/ " \
   "401, login, the request again"
qb -c "SELECT algawf.set_secret('tacticalrmm_password', 'wrong-pass-123')" >/dev/null
r=$(run_action tacticalrmm.scripts.list '{}')
is "$(jget "$r" error code)" PERMISSION_DENIED "a wrong Knox password: PERMISSION_DENIED (the changed secret makes the cached token stale)"
ok $([[ "$(jget "$r" error message)" == *"refused the credentials"* ]]; echo $?) "the login was refused"
ok $(secret_free tech-pass wrong-pass-123 tactical-key not-the-key knox-; echo $?) "no credential or token stored in clear"

done_testing
