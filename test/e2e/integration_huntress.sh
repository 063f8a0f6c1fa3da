#!/usr/bin/env bash
# Huntress against the fake vendor server: every action with Basic auth, cursor
# pagination (page_token), the resolution's errors (409/422 conflicts, a
# read-only key's 403), and the 60 requests a minute limit under a burst of 65
# calls: at most 60 requests in any 60 seconds, the rest sent as the window
# moves, none lost.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/integration_lib.bash"

cleanup() {
    sql_each "UPDATE psa.rmm_integrations SET is_active = false, connected_at = NULL, instance_url = 'https://api.huntress.io', settings = '{}'
               WHERE tenant = '$B' AND provider = 'huntress'" \
             "DELETE FROM algawf.rate_limits WHERE tenant = '$B'" \
             "SELECT algawf.delete_secret(n) FROM unnest(ARRAY['huntress_api_key', 'huntress_api_secret']) n"
    restore_hosts
    vendor_stop
}
trap cleanup EXIT
cleanup
vendor_start 18113 || { echo "not ok 1 - the fake vendor server starts"; exit 1; }
allow_loopback

qb -c "UPDATE psa.rmm_integrations SET is_active = true, connected_at = now(), instance_url = 'http://127.0.0.1:18113/huntress'
        WHERE tenant = '$B' AND provider = 'huntress'" \
   -c "SELECT algawf.set_secret('huntress_api_key', 'hk')" \
   -c "SELECT algawf.set_secret('huntress_api_secret', 'hs')" >/dev/null
is "$(qb -c "SELECT algawf.integration_active('huntress')")" t "connected: the Huntress module is available"

r=$(run_action huntress.account.get '{}')
is "$(jget "$r" output account_id)/$(jget "$r" output name)/$(jget "$r" output subdomain)" "77/Acme MSP/acme-msp" "account.get"
is "$(vreq "r->'headers'->>'authorization'" "r->>'path' = '/huntress/v1/account'")" "Basic $(printf 'hk:hs' | base64)" \
   "HTTP Basic with the API key and secret"

# ---- incident reports: filters and pages ------------------------------------------------------
r=$(run_action huntress.incidents.find '{"status": "sent", "limit": 4}')
is "$(jget "$r" output count)" 4 "incidents.find: four open reports"
is "$(jget "$r" output incidents 0 incident_id)/$(jget "$r" output incidents 3 incident_id)/$(jget "$r" output incidents 0 indicator_types 0)" \
   "421/425/footholds" "across pages, mapped into Alga's incident shape"
is "$(vreq "coalesce(r->'query'->>'page_token', '-') || ':' || (r->'query'->>'status')" "r->>'path' = '/huntress/v1/incident_reports'" | tr '\n' ' ')" \
   "-:sent 3:sent " "two pages: the second with the page_token the first returned, same filters"
r=$(run_action huntress.incidents.find '{"severity": "critical", "limit": 10}')
is "$(jget "$r" output count)" 2 "filtered by severity"
r=$(run_action huntress.incidents.get '{"incident_id": 422}')
is "$(jget "$r" output incident severity)/$(jget "$r" output incident agent_id)" "high/13" "incidents.get"
ok $([[ "$(jget "$r" output body)" == *"Updater-422"* ]]; echo $?) "with the report body"
r=$(run_action huntress.incidents.get '{"incident_id": 999}')
is "$(jget "$r" error code)/$(jget "$r" error message)" "NOT_FOUND/Huntress incident report 999 not found" "an unknown report: NOT_FOUND"
r=$(run_action huntress.agents.get '{"agent_id": 13}')
is "$(jget "$r" output agent hostname)/$(jget "$r" output agent ipv4_address)" "GLOBEX-WS13/10.0.0.13" "agents.get"
r=$(run_action huntress.organizations.list '{"query": "globex"}')
is "$(jget "$r" output count)/$(jget "$r" output organizations 0 organization_id)" "1/4" "organizations.list filtered by name"
r=$(run_action huntress.organizations.list '{"limit": 5}')
is "$(jget "$r" output count)" 5 "organizations.list: every page, up to the limit"

# ---- resolution --------------------------------------------------------------------------------
r=$(run_action huntress.incidents.resolve '{"incident_id": 421}')
is "$(jget "$r" output resolved)/$(jget "$r" output status)" "true/closed" "incidents.resolve"
is "$(vreq "r->>'method'" "r->>'path' = '/huntress/v1/incident_reports/421/resolution'")" POST "POST /v1/incident_reports/{id}/resolution"
r=$(run_action huntress.incidents.resolve '{"incident_id": 423}')
is "$(jget "$r" error code)" CONFLICT "remediations not approved (409): CONFLICT"
r=$(run_action huntress.incidents.resolve '{"incident_id": 424}')
is "$(jget "$r" error code)" CONFLICT "a report that is not sent (422): CONFLICT"
vendor /_fault '{"path": "/resolution$", "status": 403, "count": 1}' >/dev/null
r=$(run_action huntress.incidents.resolve '{"incident_id": 425}')
is "$(jget "$r" error code)" PERMISSION_DENIED "a read-only API key (403): PERMISSION_DENIED"
ok $([[ "$(jget "$r" error hint)" == *"read-only"* ]]; echo $?) "the hint explains the default key is read-only"
qb -c "SELECT algawf.set_secret('huntress_api_secret', 'nope')" >/dev/null
r=$(run_action huntress.account.get '{}')
is "$(jget "$r" error code)" PERMISSION_DENIED "wrong credentials (401): PERMISSION_DENIED"
ok $(secret_free "$(printf 'hk:hs' | base64)" "$(printf 'hk:nope' | base64)"; echo $?) "the Basic credentials are stored nowhere"
qb -c "SELECT algawf.set_secret('huntress_api_secret', 'hs')" >/dev/null

# ---- 60 requests a minute, under a burst of 65 -------------------------------------------------------
qb -c "DELETE FROM algawf.rate_limits WHERE tenant = '$B'" >/dev/null
sleep 1
vmark
t0=$(now_ms)
ids=$(qb -c "SELECT string_agg(algawf.try_action('huntress.account.get', '{}') ->> 'invocationId', ' ') FROM generate_series(1, 65)")
ok $(wait_for 20 '[ "$(vcount "n > $VMARK AND r->>'"'"'path'"'"' = '"'"'/huntress/v1/account'"'"'")" -ge 60 ]'; echo $?) "the first 60 go out at once"
sleep 3
is "$(vcount "n > $VMARK AND r->>'path' = '/huntress/v1/account'")" 60 "the other 5 wait: 60 in the first minute"
is "$(qb -c "SELECT count(*) FROM algawf.http_requests WHERE tenant = '$B' AND action_id = 'huntress.account.get' AND status = 'pending'")" 5 \
   "they are queued, not failed"
done=0
for id in $ids; do
    [ "$(jget "$(result "$id" 90000)" status)" = SUCCEEDED ] && done=$((done + 1))
done
t1=$(now_ms)
is "$done" 65 "all 65 calls succeed"
is "$(vcount "n > $VMARK AND r->>'path' = '/huntress/v1/account'")" 65 "65 requests in all"
worst=$(vwindow /huntress/v1/account 60000 "$VMARK")
is "$worst" 60 "no 60-second window holds more than 60 of them"
ok $([ $((t1 - t0)) -ge 59000 ]; echo $?) "the last ones went out a minute after the first ($((t1 - t0)) ms)"
ok $([ "$(qb -c "SELECT delayed > 0 FROM algawf.rate_limits WHERE tenant = '$B' AND bucket = 'huntress'")" = t ]; echo $?) \
   "algawf.rate_limits counts the delayed sends"

done_testing
