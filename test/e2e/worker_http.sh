#!/usr/bin/env bash
# http.request end to end: workflows call a fake server that answers 429,
# 500, slowly, never, or not at all; the step's retry policy and the error
# model decide what happens.  Many requests are in flight at once; a request
# whose sender is killed after sending is sent again with the same
# Idempotency-Key; a host that is not allowed fails with PERMISSION_DENIED.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/worker_lib.bash"

q -c "SELECT 1" >/dev/null || { echo "not ok 1 - the suite's cluster answers"; echo "1..1"; exit 1; }
T=00000000-0000-0000-0000-00000000ee01
FP=18092
trap 'fake_stop; q -c "ALTER SYSTEM RESET algawf.http_allowed_hosts" -c "ALTER SYSTEM RESET algawf.lease_duration" -c "SELECT pg_reload_conf()" >/dev/null 2>&1' EXIT
fake_start $FP || { echo "not ok 1 - fake server starts"; echo "1..1"; exit 1; }
q -c "ALTER SYSTEM SET algawf.http_allowed_hosts = '127.0.0.1:$FP'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
q -c "DELETE FROM algawf.workflow_runs WHERE tenant = '$T'" -c "DELETE FROM algawf.workflow_definitions WHERE tenant = '$T'" \
  -c "DELETE FROM algawf.http_requests WHERE tenant = '$T'" >/dev/null

q -c "SET algawf.tenant = '$T'" -c "SELECT algawf.set_secret('E2E_TOKEN', 'Bearer e2e-s3cr3t-value')" >/dev/null

# wf KEY URL [RETRY] [EXTRA-INPUT]: a one-step workflow calling URL
n=0
wf() {
    n=$((n + 1))
    q -c "SET algawf.tenant = '$T'" -c "SELECT algawf.create_workflow('{\"id\": \"ee000000-0000-0000-0000-0000000000$(printf %02d $n)\", \"key\": \"$1\", \"name\": \"$1\", \"steps\": [
      {\"id\": \"h\", \"type\": \"action.call\", ${3:+\"retry\": $3,}
       \"config\": {\"actionId\": \"http.request\", \"version\": 1, \"saveAs\": \"vars.resp\",
                    \"inputMapping\": {\"url\": \"$2\"${4:+, $4}}}}]}')" >/dev/null
}
start() { q -c "SET algawf.tenant = '$T'" -c "SELECT algawf.run('$1', '{}')"; }
status_of() { q -c "SELECT status FROM algawf.workflow_runs WHERE run_id = '$1'" 2>/dev/null; }
finished() { [ -n "$1" ] && wait_for "${2:-20}" '[ "$(status_of '"$1"')" = SUCCEEDED ] || [ "$(status_of '"$1"')" = FAILED ]'; }
attempts() { q -c "SELECT string_agg(status || coalesce(':' || (error->>'code'), ''), ',' ORDER BY seq) FROM algawf.workflow_run_steps WHERE run_id = '$1'"; }

wf ok "http://127.0.0.1:$FP/echo" "" '"method": "POST", "json": {"ticket": 42}, "headers": {"X-Test": "yes"}, "query": {"q": "a b"}'
wf flaky500 "http://127.0.0.1:$FP/flaky?key=f500&fail=2&status=500" '{"maxAttempts": 3, "backoffMs": 100, "jitter": false}'
wf always500 "http://127.0.0.1:$FP/status/500" '{"maxAttempts": 2, "backoffMs": 50, "jitter": false}'
wf ratelimit "http://127.0.0.1:$FP/flaky?key=r429&fail=1&status=429&retry_after=2" '{"maxAttempts": 2, "backoffMs": 10, "jitter": false}'
wf timeout "http://127.0.0.1:$FP/slow?ms=3000" '{"maxAttempts": 2, "backoffMs": 10, "jitter": false}' '"timeoutMs": 300'
wf hang "http://127.0.0.1:$FP/hang" "" '"timeoutMs": 300'
wf dropped "http://127.0.0.1:$FP/drop" ""
wf notfound "http://127.0.0.1:$FP/status/404" '{"maxAttempts": 3, "backoffMs": 10, "jitter": false}'
wf expect "http://127.0.0.1:$FP/status/404" "" '"expectStatus": [200, 404]'
wf forbidden "http://169.254.169.254/latest/meta-data/" ""
wf slow "http://127.0.0.1:$FP/slow?ms=1000" ""
wf secret "http://127.0.0.1:$FP/echo" "" '"headers": {"Authorization": {"$secret": "E2E_TOKEN"}}'

# ---- a plain call: request, response, headers ---------------------------------
r=$(start ok); finished "$r"
is "$(status_of "$r")" SUCCEEDED "a POST with a JSON body succeeds"
is "$(q -c "SELECT vars->'resp'->>'status' || ' ' || (vars->'resp'->'json'->>'method') || ' ' || (vars->'resp'->'json'->>'body') || ' ' || (vars->'resp'->'json'->'query'->>'q') FROM algawf.workflow_runs WHERE run_id = '$r'")" \
    '200 POST {"ticket": 42} a b' "the response is the step's output: status, parsed JSON (method, body, query as sent)"
line=$(grep -F "\"x-correlation-id\":\"$r\"" "$FAKE_LOG" | head -1)
ok $([ -n "$line" ]; echo $?) "X-Correlation-Id carries the run id"
echo "$line" | grep -q '"idempotency-key":"'"$T"':'"$r"':root.steps\[0\]:http.request@1:'
ok $? "Idempotency-Key is the engine's key for the call"
echo "$line" | grep -q '"x-test":"yes"' && echo "$line" | grep -q '"content-type":"application/json"' && echo "$line" | grep -q '"user-agent":"algawf/'
ok $? "the step's headers, Content-Type and User-Agent are sent"

# ---- 5xx: transient, retried by the step's policy -------------------------------
r=$(start flaky500); finished "$r"
is "$(attempts "$r")" "RETRY_SCHEDULED:TRANSIENT_FAILURE,RETRY_SCHEDULED:TRANSIENT_FAILURE,SUCCEEDED" "500, 500, then 200: retried twice, succeeds"
r=$(start always500); finished "$r"
is "$(status_of "$r") $(q -c "SELECT error->>'category' || ' ' || (error->>'code') FROM algawf.workflow_runs WHERE run_id = '$r'")" \
    "FAILED TransientError TRANSIENT_FAILURE" "500 until the attempts run out: the run fails with a TransientError"

# ---- 429 with Retry-After -------------------------------------------------------------
r=$(start ratelimit); finished "$r"
is "$(attempts "$r")" "RETRY_SCHEDULED:RATE_LIMITED,SUCCEEDED" "429 is RATE_LIMITED and retried"
gap=$(q -c "SELECT round(extract(epoch FROM max(started_at) - min(started_at)) * 1000) FROM algawf.workflow_run_steps WHERE run_id = '$r'")
ok $([ "$gap" -ge 1950 ] && [ "$gap" -lt 4000 ]; echo $?) "the retry waits for Retry-After: 2 (not the 10 ms back-off): ${gap} ms"

# ---- timeouts, no answer, connection dropped --------------------------------------------
r=$(start timeout); finished "$r"
is "$(attempts "$r")" "RETRY_SCHEDULED:TRANSIENT_FAILURE,FAILED:TRANSIENT_FAILURE" "a response slower than timeoutMs times out, is retried, then fails"
is "$(q -c "SELECT error->>'category' FROM algawf.workflow_runs WHERE run_id = '$r'")" TimeoutError "... as a TimeoutError"
r=$(start hang); finished "$r"
is "$(q -c "SELECT status || ' ' || (error->>'category') FROM algawf.workflow_runs WHERE run_id = '$r'")" "FAILED TimeoutError" "no answer at all: TimeoutError"
r=$(start dropped); finished "$r"
is "$(q -c "SELECT status || ' ' || (error->>'category') || ' ' || (error->>'code') FROM algawf.workflow_runs WHERE run_id = '$r'")" \
    "FAILED TransientError TRANSIENT_FAILURE" "connection closed without an answer: TransientError"

# ---- 4xx is not retried; expectStatus ------------------------------------------------------
r=$(start notfound); finished "$r"
is "$(attempts "$r") $(q -c "SELECT error->>'code' FROM algawf.workflow_runs WHERE run_id = '$r'")" "FAILED:NOT_FOUND NOT_FOUND" "404 is NOT_FOUND and not retried"
r=$(start expect); finished "$r"
is "$(status_of "$r") $(q -c "SELECT vars->'resp'->>'status' FROM algawf.workflow_runs WHERE run_id = '$r'")" "SUCCEEDED 404" "expectStatus [200, 404] accepts 404"

# ---- SSRF ----------------------------------------------------------------------------------
r=$(start forbidden); finished "$r"
is "$(q -c "SELECT status || ' ' || (error->>'code') FROM algawf.workflow_runs WHERE run_id = '$r'")" "FAILED PERMISSION_DENIED" \
    "a host not in algawf.http_allowed_hosts: PERMISSION_DENIED"
is "$(q -c "SELECT error->>'message' FROM algawf.workflow_runs WHERE run_id = '$r'")" \
    'http.request: host "169.254.169.254" (port 80) is not in algawf.http_allowed_hosts' "... with a clear message"
is "$(grep -c '169.254' "$FAKE_LOG")" 0 "nothing was sent"

# ---- secrets: resolved only when sent, never stored, not brought back by an echo -----------
r=$(start secret); finished "$r"
is "$(status_of "$r")" SUCCEEDED "a call with a {\"\$secret\"} header succeeds"
grep -F "\"x-correlation-id\":\"$r\"" "$FAKE_LOG" | grep -q '"authorization":"Bearer e2e-s3cr3t-value"'
ok $? "the server received the secret's value"
is "$(q -c "SELECT headers->'Authorization'->>'\$secret' FROM algawf.http_requests WHERE run_id = '$r'")" E2E_TOKEN \
    "the outbox row holds the reference, not the value"
is "$(q -c "SELECT count(*) FROM algawf.http_requests WHERE run_id = '$r' AND (headers::text || coalesce(response_body, '') || coalesce(response_headers::text, '')) LIKE '%s3cr3t%'")" 0 \
    "the value is stored nowhere in the outbox (the echoed response is scrubbed)"
is "$(q -c "SELECT count(*) FROM algawf.workflow_runs WHERE run_id = '$r' AND vars::text LIKE '%s3cr3t%'")" 0 "nor in the run's data"

# ---- many in flight ---------------------------------------------------------------------------
t0=$(now_ms)
q -c "SET algawf.tenant = '$T'" -c "SELECT count(algawf.run('slow', '{}')) FROM generate_series(1, 40)" >/dev/null
ok $(wait_for 30 '[ "$(q -c "SELECT count(*) FROM algawf.workflow_runs WHERE workflow_id = '"'"'ee000000-0000-0000-0000-000000000011'"'"' AND status = '"'"'SUCCEEDED'"'"'")" = 40 ]'; echo $?) \
    "40 runs each waiting 1 s on the server all succeed"
took=$(( $(now_ms) - t0 ))
ok $([ "$took" -lt 5000 ]; echo $?) "... in ${took} ms: the requests were in flight together (16 per executor), not one after another"

# ---- the sender dies after sending: the resend carries the same key ----------------------------
q -c "ALTER SYSTEM SET algawf.lease_duration = '3s'" -c "SELECT pg_reload_conf()" >/dev/null
wf killed "http://127.0.0.1:$FP/slow?ms=2000" ""
r=$(start killed)
wait_for 10 '[ "$(q -c "SELECT count(*) FROM algawf.http_requests WHERE run_id = '"'"'$r'"'"' AND status = '"'"'sending'"'"'")" = 1 ]'
sleep 0.5
sender=$(q -c "SELECT pid FROM algawf.worker_status WHERE http_inflight > 0 LIMIT 1")
kill -KILL "$sender"
ok $? "the executor sending the request is killed (SIGKILL) while the server works on it"
finished "$r" 60
q -c "ALTER SYSTEM RESET algawf.lease_duration" -c "SELECT pg_reload_conf()" >/dev/null
is "$(status_of "$r")" SUCCEEDED "the run succeeds once the request is sent again"
keys=$(grep -F "\"x-correlation-id\":\"$r\"" "$FAKE_LOG" | sed 's/.*"idempotency-key":"\([^"]*\)".*/\1/' | sort | uniq -c | awk '{print $1}')
is "$keys" 2 "the server saw the request twice, with the same Idempotency-Key both times"
is "$(q -c "SELECT attempt || ' ' || status FROM algawf.http_requests WHERE run_id = '$r'")" "2 done" "one outbox row, handed out twice, done"
is "$(q -c "SELECT count(*) FROM algawf.workflow_run_steps WHERE run_id = '$r'")" 1 "the step ran once"
done_testing
