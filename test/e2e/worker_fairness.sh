#!/usr/bin/env bash
# Fairness across tenants and concurrency_limit across all executors, on the
# suite's cluster (its executors serve algawf_test).
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/worker_lib.bash"

q -c "SELECT 1" >/dev/null || { echo "not ok 1 - the suite's cluster answers"; echo "1..1"; exit 1; }
A=00000000-0000-0000-0000-00000000cc01
B=00000000-0000-0000-0000-00000000cc02
# rerunnable: forget this test's tenants
q -c "DELETE FROM algawf.workflow_runs WHERE tenant IN ('$A', '$B')" -c "DELETE FROM algawf.workflow_definitions WHERE tenant IN ('$A', '$B')" >/dev/null
running=$(q -c "SELECT count(*) FROM algawf.worker_status WHERE pid IS NOT NULL")
ok $([ "$running" -ge 2 ]; echo $?) "the suite's cluster runs executors ($running)"

q >/dev/null <<SQL
SET algawf.tenant = '$A';
SELECT algawf.create_workflow('{"id": "cc000000-0000-0000-0000-0000000000a1", "key": "fair-a", "name": "fair a",
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.a": 1}}},
            {"id": "b", "type": "transform.assign", "config": {"assign": {"vars.b": 2}}}]}');
SET algawf.tenant = '$B';
SELECT algawf.create_workflow('{"id": "cc000000-0000-0000-0000-0000000000b1", "key": "fair-b", "name": "fair b",
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.a": 1}}}]}');
SQL

# tenant A queues 10,000 runs in one transaction; right after, tenant B queues one
q -c "SET algawf.tenant = '$A'" -c "SELECT count(algawf.run('fair-a', '{}')) FROM generate_series(1, 10000)" >/dev/null
brun=$(q -c "SET algawf.tenant = '$B'" -c "SELECT algawf.run('fair-b', '{}')")
wait_for 30 '[ "$(q -c "SELECT status FROM algawf.workflow_runs WHERE run_id = '"'"'$brun'"'"'")" = SUCCEEDED ]'
is "$(q -c "SELECT status FROM algawf.workflow_runs WHERE run_id = '$brun'")" SUCCEEDED "tenant B's run succeeds"
lat=$(q -c "SELECT round(extract(epoch FROM completed_at - created_at) * 1000) FROM algawf.workflow_runs WHERE run_id = '$brun'")
ok $([ "$lat" -lt 1000 ]; echo $?) "B's run is not held up by A's backlog of 10,000 (done ${lat} ms after it was queued; bound 1000 ms)"
left=$(q -c "SELECT count(*) FROM algawf.workflow_runs WHERE tenant = '$A' AND created_at < (SELECT created_at FROM algawf.workflow_runs WHERE run_id = '$brun')
              AND (completed_at IS NULL OR completed_at > (SELECT completed_at FROM algawf.workflow_runs WHERE run_id = '$brun'))")
ok $([ "$left" -gt 5000 ]; echo $?) "when B's run was done, $left of A's earlier runs were still waiting"

ok $(wait_for 60 '[ "$(q -c "SELECT count(*) FROM algawf.workflow_runs WHERE tenant = '"'"'$A'"'"' AND status = '"'"'SUCCEEDED'"'"'")" = 10000 ]'; echo $?) \
    "all 10,000 of A's runs succeed"
secs=$(q -c "SELECT round(extract(epoch FROM max(completed_at) - min(created_at))::numeric, 1) FROM algawf.workflow_runs WHERE tenant = '$A'")
echo "# 10,000 runs of two steps in ${secs} s"

# a stream of B's runs interleaves with A's backlog
q -c "SET algawf.tenant = '$A'" -c "SELECT count(algawf.run('fair-a', '{}')) FROM generate_series(1, 5000)" >/dev/null
for i in 1 2 3 4 5; do q -c "SET algawf.tenant = '$B'" -c "SELECT algawf.run('fair-b', '{\"i\": $i}')" >/dev/null; sleep 0.1; done
wait_for 30 '[ "$(q -c "SELECT count(*) FROM algawf.workflow_runs WHERE tenant = '"'"'$B'"'"' AND status = '"'"'SUCCEEDED'"'"'")" = 6 ]'
worst=$(q -c "SELECT round(max(extract(epoch FROM completed_at - created_at)) * 1000) FROM algawf.workflow_runs WHERE tenant = '$B' AND payload ? 'i'")
ok $([ -n "$worst" ] && [ "$worst" -lt 1000 ]; echo $?) "each of B's next 5 runs is done within 1000 ms while A has 5,000 queued (worst ${worst} ms)"
wait_for 60 '[ "$(q -c "SELECT count(*) FROM algawf.workflow_runs WHERE tenant = '"'"'$A'"'"' AND status <> '"'"'SUCCEEDED'"'"'")" = 0 ]'

# concurrency_limit holds across both executors
q >/dev/null <<SQL
SET algawf.tenant = '$A';
SELECT algawf.create_workflow('{"id": "cc000000-0000-0000-0000-0000000000a2", "key": "limited", "name": "limited",
  "steps": [{"id": "w", "type": "time.wait", "config": {"mode": "duration", "durationMs": 300}},
            {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.done": true}}}]}');
SELECT algawf.configure_workflow('cc000000-0000-0000-0000-0000000000a2', '{"concurrencyLimit": 2}');
SELECT count(algawf.run('limited', '{}')) FROM generate_series(1, 10);
SQL
ok $(wait_for 30 '[ "$(q -c "SELECT count(*) FROM algawf.workflow_runs WHERE workflow_id = '"'"'cc000000-0000-0000-0000-0000000000a2'"'"' AND status = '"'"'SUCCEEDED'"'"'")" = 10 ]'; echo $?) \
    "all 10 runs of a workflow with concurrency_limit 2 succeed"
overlap=$(q -c "SELECT max((SELECT count(*) FROM algawf.workflow_runs r2
                            WHERE r2.workflow_id = r1.workflow_id AND r2.started_at <= r1.started_at AND r2.completed_at > r1.started_at))
                FROM algawf.workflow_runs r1 WHERE r1.workflow_id = 'cc000000-0000-0000-0000-0000000000a2'")
is "$overlap" 2 "never more than 2 of them started and unfinished at once (and 2 did run side by side)"
span=$(q -c "SELECT round(extract(epoch FROM max(completed_at) - min(started_at)) * 1000) FROM algawf.workflow_runs WHERE workflow_id = 'cc000000-0000-0000-0000-0000000000a2'")
ok $([ "$span" -ge 1400 ]; echo $?) "10 runs of 300 ms, 2 at a time, take at least 1.5 s (${span} ms)"
done_testing
