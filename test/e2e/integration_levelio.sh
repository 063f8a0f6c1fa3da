#!/usr/bin/env bash
# Level against the fake vendor server: every action with the raw API key in
# Authorization, starting_after pagination across pages, follow-up requests
# (automations with their webhook tokens, triggering by automation id), the
# clear error for an automation without a webhook trigger.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/integration_lib.bash"

cleanup() {
    sql_each "DELETE FROM psa.rmm_integrations WHERE tenant = '$B' AND provider = 'levelio'" \
             "DELETE FROM algawf.rate_limits WHERE tenant = '$B'" \
             "SELECT algawf.delete_secret('levelio_api_key')" \
             "SELECT algawf.delete_workflow('b1000000-0000-0000-0000-0000000000c1')"
    restore_hosts
    vendor_stop
}
trap cleanup EXIT
cleanup
vendor_start 18112 || { echo "not ok 1 - the fake vendor server starts"; exit 1; }
allow_loopback

qb -c "INSERT INTO psa.rmm_integrations (tenant, provider, instance_url, is_active, connected_at)
       VALUES ('$B', 'levelio', 'http://127.0.0.1:18112/level', true, now())" \
   -c "SELECT algawf.set_secret('levelio_api_key', 'level-key')" >/dev/null
is "$(qb -c "SELECT algawf.integration_active('levelio')")" t "connected: the Level module is available"

# ---- devices: every page ------------------------------------------------------------------
r=$(run_action levelio.devices.find '{"live": true}')
is "$(jget "$r" output count)" 5 "devices.find live: the five devices"
is "$(vreq "coalesce(r->'query'->>'starting_after', '-')" "r->>'path' = '/level/v2/devices'" | tr '\n' ' ')" "- dev-2 dev-4 " \
   "three pages of two, each starting after the last id of the one before"
is "$(vreq "r->'headers'->>'authorization'" "r->>'path' = '/level/v2/devices'" | sort -u)" level-key "the API key itself in Authorization (no Bearer)"
is "$(jget "$r" output devices 0 os_name)/$(jget "$r" output devices 0 nickname)/$(jget "$r" output devices 1 online)/$(jget "$r" output devices 4 security_score)" \
   "Windows 11 Pro 23H2/Front desk/false/85" "mapped into Alga's device shape"
r=$(run_action levelio.devices.find '{"live": true, "limit": 3}')
is "$(jget "$r" output count)" 3 "limit 3: three devices"
r=$(run_action levelio.devices.find '{"live": true, "query": "HOST-4"}')
is "$(jget "$r" output count)/$(jget "$r" output devices 0 device_id)" "1/dev-4" "filtered by host name"
r=$(run_action levelio.devices.find '{"live": true, "device_id": "dev-3"}')
is "$(jget "$r" output count)/$(jget "$r" output devices 0 hostname)" "1/LEVEL-HOST-3" "one device by id"
r=$(run_action levelio.devices.get '{"device_id": "dev-2"}')
is "$(jget "$r" output device hostname)/$(jget "$r" output device serial_number)" "LEVEL-HOST-2/LV-2" "devices.get"
is "$(vreq "(r->'query'->>'include_operating_system') || (r->'query'->>'include_security')" "r->>'path' = '/level/v2/devices/dev-2'")" truetrue \
   "with the operating system and security details"
r=$(run_action levelio.devices.get '{"device_id": "dev-99"}')
is "$(jget "$r" error code)" NOT_FOUND "an unknown device: NOT_FOUND"

# ---- alerts and updates -------------------------------------------------------------------------
r=$(run_action levelio.alerts.list_active '{}')
is "$(jget "$r" output count)/$(jget "$r" output alerts 0 name)/$(jget "$r" output alerts 0 is_resolved)" "2/Low disk space/false" "alerts.list_active"
r=$(run_action levelio.alerts.resolve '{"alert_id": "alrt-1"}')
is "$(jget "$r" output resolved)/$(jget "$r" output alert_id)" "true/alrt-1" "alerts.resolve"
is "$(vreq "r->>'method'" "r->>'path' = '/level/v2/alerts/alrt-1/resolve'")" POST "POST /v2/alerts/{id}/resolve"
r=$(run_action levelio.alerts.list_active '{}')
is "$(jget "$r" output count)" 1 "the resolved alert is no longer active"
r=$(run_action levelio.alerts.resolve '{"alert_id": "alrt-99"}')
is "$(jget "$r" error code)" NOT_FOUND "resolving an unknown alert: NOT_FOUND"
r=$(run_action levelio.updates.list '{"device_id": "dev-1", "status": "available"}')
is "$(jget "$r" output count)/$(jget "$r" output updates 0 name)" "1/KB5036893" "updates.list of a device, available ones"

# ---- automations: follow-up requests ------------------------------------------------------------------
r=$(run_action levelio.automations.list '{}')
is "$(jget "$r" output count)" 2 "automations.list"
is "$(vreq "r->>'path'" "r->>'path' LIKE '/level/v2/automations%'" | tr '\n' ' ')" "/level/v2/automations /level/v2/automations/webhooks " \
   "the automations, then the webhooks"
is "$(jget "$r" output automations 0 webhook_token)" "[REDACTED]" "webhook tokens are redacted in the stored invocation (they trigger automations)"
qb -c "SELECT algawf.create_workflow('{\"id\": \"b1000000-0000-0000-0000-0000000000c1\", \"name\": \"Level automations\", \"version\": 1,
  \"steps\": [{\"id\": \"list\", \"type\": \"action.call\", \"config\": {\"actionId\": \"levelio.automations.list\", \"version\": 1,
     \"inputMapping\": {}, \"saveAs\": \"list\"}}]}')" >/dev/null
run=$(qb -c "SELECT algawf.run('b1000000-0000-0000-0000-0000000000c1'::uuid, '{}')")
is "$(wait_run "$run")" SUCCEEDED "a workflow lists the automations"
is "$(qb -c "SELECT (vars #>> '{list,automations,0,webhook_token}') || '/' || coalesce(vars #>> '{list,automations,1,webhook_token}', 'null') FROM algawf.runs WHERE run_id = '$run'")" \
   "tok-clean/null" "it gets each automation's webhook token (from the webhooks list), none for the second"
r=$(run_action levelio.automations.trigger '{"automation_id": "auto-1", "device_ids": ["dev-1", "dev-2"]}')
is "$(jget "$r" output triggered)/$(jget "$r" output automation_id)/$(jget "$r" output run_id)" "true/auto-1/run-1" \
   "automations.trigger by automation id: found its webhook, triggered it"
is "$(vreq "r->>'body'" "r->>'path' = '/level/v2/automations/webhooks/tok-clean'")" '{"device_ids": ["dev-1", "dev-2"]}' \
   "POST /v2/automations/webhooks/{token} with the device ids"
r=$(run_action levelio.automations.trigger '{"webhook_token": "tok-clean"}')
is "$(jget "$r" output run_id)" run-2 "by webhook token, all devices"
is "$(vreq "r->>'body'" "r->>'path' = '/level/v2/automations/webhooks/tok-clean'" | tail -1)" '{}' "an empty body: every device of the automation"
r=$(run_action levelio.automations.trigger '{"automation_id": "auto-2"}')
is "$(jget "$r" error code)" NOT_FOUND "an automation without a webhook trigger: NOT_FOUND"
is "$(jget "$r" error message)" "Level automation auto-2 has no webhook trigger" "saying so"
ok $([[ "$(jget "$r" error hint)" == *"Add a Webhook trigger"* ]]; echo $?) "with the remedy"
is "$(vcount "r->>'path' LIKE '/level/v2/automations/webhooks/%' AND r->>'method' = 'POST'")" 2 "nothing was triggered for it"
r=$(run_action levelio.automations.trigger '{"webhook_token": "tok-nope"}')
is "$(jget "$r" error message)" "No Level automation has the webhook token tok-nope" "an unknown webhook token: NOT_FOUND, saying so"
r=$(run_action levelio.automations.run_status '{"run_id": "run-1", "include_steps": true}')
is "$(jget "$r" output run status)/$(jget "$r" output steps 0 name)" "success/Delete temp files" "automations.run_status with steps"
r=$(run_action levelio.automations.run_status '{"run_id": "run-1"}')
is "$(jget "$r" output steps)" "" "without include_steps: no steps"

# ---- a wrong key ----------------------------------------------------------------------------------
qb -c "SELECT algawf.set_secret('levelio_api_key', 'wrong-level-key')" >/dev/null
r=$(run_action levelio.alerts.list_active '{}')
is "$(jget "$r" error code)" PERMISSION_DENIED "a wrong API key: PERMISSION_DENIED"
ok $(secret_free level-key wrong-level-key; echo $?) "the key is stored nowhere in clear"

done_testing
