#!/usr/bin/env bash
# NinjaOne against the fake vendor server: every action, OAuth2 client
# credentials and refresh token (cached, fetched again on 401, rotated refresh
# tokens kept), retries on 500 / 429 Retry-After / timeouts, malformed JSON, a
# slow answer, bad credentials, no credential stored in clear, a workflow run
# with the engine's Idempotency-Key, and a disconnected integration.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/integration_lib.bash"

cleanup() {
    sql_each "DELETE FROM psa.rmm_integrations WHERE tenant = '$B' AND provider = 'ninjaone'" \
             "DELETE FROM psa.assets WHERE tenant = '$B' AND rmm_provider = 'ninjaone'" \
             "DELETE FROM psa.audit_logs WHERE tenant = '$B' AND operation LIKE 'workflow_action:ninjaone.%'" \
             "SELECT algawf.delete_workflow('b1000000-0000-0000-0000-0000000000a1')" \
             "DELETE FROM algawf.integration_tokens WHERE tenant = '$B'" \
             "DELETE FROM algawf.rate_limits WHERE tenant = '$B'" \
             "SELECT algawf.delete_secret(n) FROM unnest(ARRAY['ninjaone_client_id', 'ninjaone_client_secret', 'ninjaone_refresh_token']) n"
    restore_hosts
    vendor_stop
}
trap cleanup EXIT
cleanup
U=$$-$(date +%s)   # idempotency keys unique to this run
vendor_start 18110 || { echo "not ok 1 - the fake vendor server starts"; exit 1; }
allow_loopback
BASE=http://127.0.0.1:18110/ninja

qb -c "INSERT INTO psa.rmm_integrations (tenant, provider, instance_url, is_active, connected_at, settings)
       VALUES ('$B', 'ninjaone', '$BASE', true, now(), '{\"organization_map\": {\"1\": \"$BCLIENT\"}}')
       ON CONFLICT (tenant, provider) DO UPDATE SET instance_url = EXCLUDED.instance_url, is_active = true,
           connected_at = now(), settings = EXCLUDED.settings" \
   -c "SELECT algawf.set_secret('ninjaone_client_id', 'ninja-client')" \
   -c "SELECT algawf.set_secret('ninjaone_client_secret', 'ninja-secret')" >/dev/null
is "$(qb -c "SELECT algawf.integration_active('ninjaone')")" t "connected: the NinjaOne module is available"

# ---- devices.find (live): token first, then the API with it ------------------------
r=$(run_action ninjaone.devices.find '{"live": true, "limit": 2}')
is "$(jget "$r" status)" SUCCEEDED "devices.find live succeeds"
is "$(jget "$r" output count)" 2 "limit 2: two devices"
is "$(jget "$r" output devices 0 external_device_id)/$(jget "$r" output devices 0 hostname)/$(jget "$r" output devices 1 agent_online)" \
   "101/GLOBEX-DC01/false" "mapped into Alga's device shape"
is "$(jget "$r" output devices 0 last_seen_at)" "2024-05-01T10:00:00.000Z" "epoch seconds become ISO 8601"
is "$(vreq "r->>'body'" "r->>'path' = '/ninja/ws/oauth/token'")" \
   "grant_type=client_credentials&client_id=ninja-client&client_secret=ninja-secret&scope=monitoring+management+control" \
   "the token request: client credentials and the scope, form-encoded"
tok=$(vreq "r->'headers'->>'authorization'" "r->>'path' = '/ninja/v2/devices'")
ok $([[ "$tok" =~ ^Bearer\ nj-tok-[0-9]+$ ]]; echo $?) "the API call carries the issued token ($tok)"
is "$(vreq "r->'query'->>'pageSize'" "r->>'path' = '/ninja/v2/devices'")" 2 "pageSize is the limit"

vmark
r=$(run_action ninjaone.devices.find '{"live": true, "device_id": 103}')
is "$(jget "$r" output devices 0 hostname)" INITECH-MAC1 "one device by id (GET /v2/device/103)"
is "$(vcount "n > $VMARK AND r->>'path' = '/ninja/ws/oauth/token'")" 0 "the cached token is reused: no second login"
is "$(vreq "r->'headers'->>'authorization'" "n > $VMARK AND r->>'path' = '/ninja/v2/device/103'")" "$tok" "with the same token"

# ---- devices.sync: the device upserted into psa.assets ----------------------------
r=$(run_action ninjaone.devices.sync '{"device_id": 101}')
is "$(jget "$r" output synced)/$(jget "$r" output created)" "true/true" "devices.sync creates the asset"
asset=$(jget "$r" output asset_id)
is "$(qb -c "SELECT client_id || ' ' || name || ' ' || asset_type || ' ' || agent_status || ' ' || serial_number FROM psa.assets WHERE asset_id = '$asset'")" \
   "$BCLIENT Globex DC server online SN-DC01" "in the client the organization maps to, with its details"
r=$(run_action ninjaone.devices.sync '{"device_id": 101}')
is "$(jget "$r" output asset_id)/$(jget "$r" output created)" "$asset/false" "a second sync updates the same asset"
is "$(qb -c "SELECT count(*) FROM psa.audit_logs WHERE operation = 'workflow_action:ninjaone.devices.sync' AND record_id = '$asset'")" 2 \
   "each sync is audited in psa.audit_logs"
r=$(run_action ninjaone.devices.sync '{"device_id": 103}')
is "$(jget "$r" error code)" VALIDATION_ERROR "a device of an unmapped organization: VALIDATION_ERROR"
ok $([[ "$(jget "$r" error hint)" == *organization_map* ]]; echo $?) "the hint says how to map it"
is "$(jget "$(run_action ninjaone.devices.find '{"query": "Globex"}')" output devices 0 source)" local \
   "devices.find without live answers from the synced assets"

# ---- reboot, scripting options, run_script -----------------------------------------
r=$(run_action ninjaone.devices.reboot '{"device_id": 101, "mode": "FORCED", "reason": "Pending updates"}')
is "$(jget "$r" output reboot_requested)" true "devices.reboot"
is "$(vreq "r->>'method' || ' ' || (r->>'body')" "r->>'path' = '/ninja/v2/device/101/reboot/FORCED'")" \
   'POST {"reason": "Pending updates"}' "POST /v2/device/101/reboot/FORCED with the reason"
r=$(run_action ninjaone.devices.scripting_options '{"device_id": 101}')
is "$(jget "$r" output count)/$(jget "$r" output scripts 1 type)/$(jget "$r" output scripts 1 uid)" \
   "2/ACTION/f1e2d3c4-0000-4000-8000-00000000000a" "scripting_options: scripts and built-in actions"
r=$(run_action ninjaone.devices.run_script '{"device_id": 101, "script_id": 7, "parameters": "-Days 30", "run_as": "system"}' rs-$U)
is "$(jget "$r" output run_requested)/$(jget "$r" output type)" "true/SCRIPT" "devices.run_script"
is "$(vreq "r->>'body'" "r->>'path' = '/ninja/v2/device/101/script/run'")" \
   '{"id": 7, "type": "SCRIPT", "runAs": "system", "parameters": "-Days 30"}' "POST /v2/device/101/script/run with the script"
is "$(vreq "r->'headers'->>'idempotency-key'" "r->>'path' = '/ninja/v2/device/101/script/run'")" "rs-$U" "the idempotency key is sent"
is "$(qb -c "SELECT input->>'parameters' FROM algawf.workflow_action_invocations WHERE action_id = 'ninjaone.devices.run_script' ORDER BY started_at DESC LIMIT 1")" \
   "[REDACTED]" "the script parameters are redacted in the invocation row"
r=$(run_action ninjaone.devices.run_script '{"device_id": 101, "script_id": 7}' rs-$U)
is "$(vcount "r->>'path' = '/ninja/v2/device/101/script/run'")" 1 "the same idempotency key replays: nothing sent again"

# ---- alerts -------------------------------------------------------------------------
r=$(run_action ninjaone.alerts.list_active '{"device_id": 101}')
is "$(jget "$r" output count)/$(jget "$r" output alerts 0 title)/$(jget "$r" output alerts 0 severity)" "1/Disk usage/CRITICAL" "alerts.list_active of a device"
r=$(run_action ninjaone.alerts.get '{"alert_uid": "a1b2c3d4-0000-4000-8000-000000000002"}')
is "$(jget "$r" output alert device_id)" 102 "alerts.get"
r=$(run_action ninjaone.alerts.reset '{"alert_uid": "a1b2c3d4-0000-4000-8000-000000000002"}')
is "$(jget "$r" output acknowledged)" true "alerts.reset (POST /v2/alert/{uid}/reset)"
r=$(run_action ninjaone.alerts.get '{"alert_uid": "a1b2c3d4-0000-4000-8000-000000000002"}')
is "$(jget "$r" error code)" NOT_FOUND "a reset alert is no longer found"
r=$(run_action ninjaone.alerts.reset '{"alert_uid": "nope"}')
is "$(jget "$r" error code)" NOT_FOUND "resetting an unknown alert: NOT_FOUND (HTTP 404)"

# ---- 401: the token is fetched again, once --------------------------------------------
vmark
vendor /_revoke >/dev/null
r=$(run_action ninjaone.alerts.list_active '{}')
is "$(jget "$r" status)" SUCCEEDED "a refused token (401) is replaced and the call succeeds"
is "$(vreq "r->>'path'" "n > $VMARK AND r->>'path' LIKE '/ninja/%'" | tr '\n' ' ')" \
   "/ninja/v2/alerts /ninja/ws/oauth/token /ninja/v2/alerts " "401, new token, the same request again"
t2=$(vreq "r->'headers'->>'authorization'" "n > $VMARK AND r->>'path' = '/ninja/v2/alerts'" | tail -1)
ok $([ "$t2" != "$tok" ]; echo $?) "with the new token"
vendor /_fault '{"path": "^/ninja/v2/alerts$", "status": 401, "count": 0}' >/dev/null
r=$(run_action ninjaone.alerts.list_active '{}')
is "$(jget "$r" error code)" PERMISSION_DENIED "still 401 after a new token: PERMISSION_DENIED, no loop"
ok $([[ "$(jget "$r" error hint)" == *ninjaone_client_id* ]]; echo $?) "the hint names the credential secrets"
vendor /_reset >/dev/null

# ---- transient failures: 500, 429 with Retry-After, timeouts --------------------------------
vmark
vendor /_fault '{"path": "^/ninja/v2/device/102$", "status": 500, "count": 1}' >/dev/null
r=$(run_action ninjaone.devices.find '{"live": true, "device_id": 102}' k500-$U)
is "$(jget "$r" output devices 0 external_device_id)" 102 "a 500 is retried and the call succeeds"
is "$(vagg "count(DISTINCT r->'headers'->>'idempotency-key') || ' ' || (min(r->'headers'->>'idempotency-key') = 'k500-$U') || ' ' || (count(*) >= 2)" \
        "n > $VMARK AND r->>'path' = '/ninja/v2/device/102'")" "1 true true" "every send carries the same Idempotency-Key"
vmark
vendor /_fault '{"path": "^/ninja/v2/device/101$", "status": 429, "retry_after": 2, "count": 1}' >/dev/null
r=$(run_action ninjaone.devices.find '{"live": true, "device_id": 101}')
is "$(jget "$r" status)" SUCCEEDED "a 429 is retried and the call succeeds"
gap=$(vagg "max((r->>'t')::bigint) - min((r->>'t')::bigint)" "n > $VMARK AND r->>'path' = '/ninja/v2/device/101'")
ok $([ "$gap" -ge 1900 ]; echo $?) "after the Retry-After (2 s; waited ${gap} ms)"
vendor /_fault '{"path": "^/ninja/v2/device/103$", "status": 503, "count": 0}' >/dev/null
vmark
r=$(run_action ninjaone.devices.find '{"live": true, "device_id": 103}')
is "$(jget "$r" error code)/$(jget "$r" error category)/$(jget "$r" error retryable)" "TRANSIENT_FAILURE/TransientError/true" \
   "a 503 that lasts: TRANSIENT_FAILURE, retryable (for the step's retry policy)"
is "$(vcount "n > $VMARK AND r->>'path' = '/ninja/v2/device/103'")" 3 "after 3 attempts"
vendor /_reset >/dev/null
vendor /_fault '{"path": "^/ninja/v2/device/102$", "hang": true, "count": 0}' >/dev/null
id=$(qb -c "SELECT algawf.try_action('ninjaone.devices.find', '{\"live\": true, \"device_id\": 102}', timeout_ms => 1000) ->> 'invocationId'")
r=$(result "$id" 30000)
is "$(jget "$r" error code)/$(jget "$r" error category)" "TRANSIENT_FAILURE/TimeoutError" "a request that never answers: TimeoutError"
vendor /_reset >/dev/null
vendor /_fault '{"path": "^/ninja/v2/alerts$", "delay_ms": 1500}' >/dev/null
t0=$(now_ms)
r=$(run_action ninjaone.alerts.list_active '{}')
t1=$(now_ms)
ok $([ "$(jget "$r" status)" = SUCCEEDED ] && [ $((t1 - t0)) -ge 1400 ]; echo $?) "a slow answer (1.5 s) is waited for ($((t1 - t0)) ms)"
vendor /_fault '{"path": "^/ninja/v2/device/101$", "status": 200, "body": "{\"id\": 101, \"systemName\": ", "count": 1}' >/dev/null
r=$(run_action ninjaone.devices.find '{"live": true, "device_id": 101}')
is "$(jget "$r" error code)" INTERNAL_ERROR "malformed JSON: INTERNAL_ERROR"
ok $([[ "$(jget "$r" error message)" == *"malformed JSON"* ]]; echo $?) "saying so"
vendor /_reset >/dev/null

# ---- refresh token mode: rotated refresh tokens are kept ---------------------------------
qb -c "UPDATE psa.rmm_integrations SET settings = settings || '{\"auth_mode\": \"refresh_token\"}' WHERE tenant = '$B' AND provider = 'ninjaone'" \
   -c "SELECT algawf.set_secret('ninjaone_refresh_token', 'ninja-refresh-1')" >/dev/null
vmark
r=$(run_action ninjaone.alerts.list_active '{}')
is "$(jget "$r" status)" SUCCEEDED "refresh_token mode works"
is "$(vreq "r->>'body'" "n > $VMARK AND r->>'path' = '/ninja/ws/oauth/token'")" \
   "grant_type=refresh_token&refresh_token=ninja-refresh-1&client_id=ninja-client&client_secret=ninja-secret&scope=monitoring+management+control" \
   "a refresh_token grant with the configured refresh token"
vendor /_revoke >/dev/null
vmark
r=$(run_action ninjaone.alerts.list_active '{}')
is "$(jget "$r" status)" SUCCEEDED "after a 401 the token is refreshed again"
ok $([[ "$(vreq "r->>'body'" "n > $VMARK AND r->>'path' = '/ninja/ws/oauth/token'")" == *refresh_token=ninja-refresh-2* ]]; echo $?) \
   "with the rotated refresh token the endpoint returned last time"

# ---- bad credentials ------------------------------------------------------------------------
qb -c "UPDATE psa.rmm_integrations SET settings = settings - 'auth_mode' WHERE tenant = '$B' AND provider = 'ninjaone'" \
   -c "SELECT algawf.set_secret('ninjaone_client_secret', 'wrong-s3cret-value')" >/dev/null
r=$(run_action ninjaone.alerts.list_active '{}')
is "$(jget "$r" error code)" PERMISSION_DENIED "a wrong client secret: PERMISSION_DENIED"
ok $([[ "$(jget "$r" error message)" == *"refused the credentials"* ]]; echo $?) "the token endpoint refused the credentials"
ok $(secret_free wrong-s3cret-value ninja-secret ninja-refresh-1 ninja-refresh-2 nj-tok-; echo $?) \
   "no credential or token in invocation rows, outbox rows, run logs or the token cache"
ok $(! grep 'algawf executor' "$TMP_CHECK/server.log" 2>/dev/null | grep -q -e wrong-s3cret-value -e ninja-secret; echo $?) "nor in the executors' log lines"
qb -c "SELECT algawf.set_secret('ninjaone_client_secret', 'ninja-secret')" >/dev/null

# ---- a workflow run: the engine's Idempotency-Key, explain without secrets ------------------
qb -c "SELECT algawf.create_workflow('{\"id\": \"b1000000-0000-0000-0000-0000000000a1\", \"name\": \"Ninja reboot\", \"version\": 1,
  \"steps\": [{\"id\": \"reboot\", \"type\": \"action.call\", \"config\": {\"actionId\": \"ninjaone.devices.reboot\", \"version\": 1,
     \"inputMapping\": {\"device_id\": {\"\$expr\": \"payload.device\"}}, \"saveAs\": \"rebooted\"}}]}')" >/dev/null
run=$(qb -c "SELECT algawf.run('b1000000-0000-0000-0000-0000000000a1'::uuid, '{\"device\": 102}')")
is "$(wait_run "$run")" SUCCEEDED "a workflow step calling ninjaone.devices.reboot succeeds"
is "$(qb -c "SELECT vars->'rebooted'->>'external_device_id' FROM algawf.runs WHERE run_id = '$run'")" 102 "its output is in the run's vars"
key=$(vreq "r->'headers'->>'idempotency-key'" "r->>'path' = '/ninja/v2/device/102/reboot/NORMAL'")
ok $([[ "$key" == "$B:$run:root.steps[0]:ninjaone.devices.reboot@1:"* ]]; echo $?) "the request carries the engine's idempotency key"
is "$(vreq "r->'headers'->>'x-correlation-id'" "r->>'path' = '/ninja/v2/device/102/reboot/NORMAL'")" "$run" "and the run id as X-Correlation-Id"
ok $(qb -c "SELECT algawf.explain('$run')" | grep -q -e ninja-secret -e nj-tok; [ $? -ne 0 ]; echo $?) "explain shows no credential"

# ---- disconnected: the published workflow still loads, its run fails naming the integration --
qb -c "UPDATE psa.rmm_integrations SET is_active = false WHERE tenant = '$B' AND provider = 'ninjaone'" >/dev/null
is "$(qb -c "SELECT count(*) FROM algawf.catalog WHERE family = 'ninjaone' AND available")" 0 "disconnected: the catalog flags the actions unavailable"
run=$(qb -c "SELECT algawf.run('b1000000-0000-0000-0000-0000000000a1'::uuid, '{\"device\": 101}')")
is "$(wait_run "$run")" FAILED "the published workflow runs and fails"
is "$(qb -c "SELECT error->>'code' || ': ' || (error->>'message') FROM algawf.runs WHERE run_id = '$run'")" \
   'INTEGRATION_INACTIVE: integration "ninjaone" is not active for this tenant' "with INTEGRATION_INACTIVE naming the integration"

done_testing
