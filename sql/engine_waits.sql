-- Waits: time.wait, event.wait (correlation, filters, timeout), human.task
-- approvals (approve, reject, expire, decide twice, wrong user).  A parked
-- run is WAITING; algawf.run_pending() plays the worker.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engine_tester') THEN
        CREATE ROLE engine_tester IN ROLE algawf_admin, algawf_operator, algawf_approver, algawf_service;
    END IF;
END $$;
-- as a role that is not a superuser, so that row-level security applies
SET ROLE engine_tester;
SET algawf.tenant = '00000000-0000-0000-0000-0000000000e3';
SET algawf."user" = '00000000-0000-0000-0000-0000000000e3';

CREATE FUNCTION pg_temp.start(def jsonb, payload jsonb DEFAULT '{}') RETURNS uuid
LANGUAGE sql AS $$ SELECT algawf.run(algawf.create_workflow(def), payload, true) $$;
CREATE FUNCTION pg_temp.state(r uuid)
RETURNS TABLE (status text, at_step text, waiting_for text, vars jsonb, error text)
LANGUAGE sql AS $$
    SELECT x.status, x.current_path, x.waiting_for, x.vars,
           x.error->>'category' || ' ' || (x.error->>'code') || ': ' || (x.error->>'message')
      FROM algawf.runs x WHERE x.run_id = r
$$;

-- decide, reporting an error with the (random) task id masked
CREATE FUNCTION pg_temp.decide(t uuid, d text, c text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    PERFORM algawf.decide(t, d, c);
    RETURN 'decided';
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RETURN st || ': ' || replace(msg, t::text, '<task>') || coalesce(nullif(' (' || det || ')', ' ()'), '')
           || coalesce(nullif(' hint: ' || hnt, ' hint: '), '');
END $$;

-- time.wait: a duration parks the run until its timer is due
SELECT pg_temp.start('{"name": "nap", "steps": [
  {"id": "w", "type": "time.wait", "config": {"mode": "duration", "durationMs": 500}},
  {"id": "after", "type": "transform.assign", "config": {"assign": {"vars.woke": true}}}]}') AS r \gset
SELECT * FROM pg_temp.state(:'r');
SELECT algawf.run_pending();                 -- not due yet: nothing to do
SELECT pg_sleep(0.55);
SELECT algawf.run_pending();
SELECT * FROM pg_temp.state(:'r');
SELECT step_id, status FROM algawf.run_steps WHERE run_id = :'r' ORDER BY seq;
-- until: a time in the past does not wait; a computed one does
SELECT * FROM pg_temp.state(pg_temp.start('{"name": "until-past", "steps": [
  {"id": "w", "type": "time.wait", "config": {"mode": "until", "until": "2001-01-01T00:00:00Z"}}]}'));
SELECT pg_temp.start('{"name": "until-expr", "steps": [
  {"id": "w", "type": "time.wait", "config": {"mode": "until", "until": {"$expr": "payload.at"}}}]}',
  jsonb_build_object('at', to_char((now() + interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))) AS r2 \gset
SELECT status, waiting_for, wait_timeout_at > now() + interval '50 minutes' AS in_an_hour FROM algawf.runs WHERE run_id = :'r2';
SELECT * FROM pg_temp.state(pg_temp.start('{"name": "until-bad", "steps": [
  {"id": "w", "type": "time.wait", "config": {"mode": "until", "until": {"$expr": "42"}}}]}'));

-- event.wait: the correlation key is an expression; only a matching event
-- (name, key, filters) resumes the run; the event lands in vars.event
SELECT pg_temp.start('{"name": "wait-for-reply", "steps": [
  {"id": "w", "type": "event.wait", "config": {"eventName": "TICKET_REPLIED",
     "correlationKey": {"$expr": "\"ticket-\" & $string(payload.ticketId)"},
     "filters": [{"path": "reply.from", "op": "ends_with", "value": "@client.example"},
                 {"path": "reply.length", "op": ">=", "value": 3}],
     "assign": {"vars.replyFrom": {"$expr": "vars.event.reply.from"}}}},
  {"id": "done", "type": "state.set", "config": {"state": "replied"}}]}', '{"ticketId": 7}') AS r \gset
SELECT * FROM pg_temp.state(:'r');
SELECT kind, event_name, correlation_key, filters IS NOT NULL AS has_filters FROM algawf.workflow_run_waits WHERE run_id = :'r';
SELECT algawf.deliver_event('TICKET_REPLIED', '{"reply": {"from": "a@client.example", "length": 10}}', 'ticket-8');  -- other key
SELECT algawf.deliver_event('TICKET_REPLIED', '{"reply": {"from": "a@elsewhere.example", "length": 10}}', 'ticket-7'); -- filter
SELECT algawf.deliver_event('TICKET_REPLIED', '{"reply": {"from": "a@client.example"}}', 'ticket-7');  -- filter: no length
SELECT algawf.deliver_event('OTHER_EVENT', '{}', 'ticket-7');
SELECT status FROM algawf.runs WHERE run_id = :'r';
SELECT algawf.deliver_event('TICKET_REPLIED', '{"reply": {"from": "b@client.example", "length": 12}}', 'ticket-7',
                            'e3000000-0000-0000-0000-0000000000a1');
SELECT status, runnable_at IS NOT NULL AS runnable FROM algawf.workflow_runs WHERE run_id = :'r';
-- the same event again is ignored (event ids deduplicate)
SELECT algawf.deliver_event('TICKET_REPLIED', '{}', 'ticket-7', 'e3000000-0000-0000-0000-0000000000a1');
SELECT algawf.run_pending();
SELECT status, vars->>'replyFrom' AS reply_from, vars->>'eventName' AS event_name FROM algawf.runs WHERE run_id = :'r';
SELECT event_name, correlation_key, resumed_runs FROM algawf.workflow_runtime_events ORDER BY received_at;

-- event.wait timeout: a TimeoutError, catchable
SELECT pg_temp.start('{"name": "impatient", "steps": [
  {"id": "t", "type": "control.tryCatch", "captureErrorAs": "e", "try": [
    {"id": "w", "type": "event.wait", "config": {"eventName": "NEVER", "correlationKey": "k", "timeoutMs": 20}}],
   "catch": [{"id": "c", "type": "transform.assign", "config": {"assign": {"vars.timedOut": {"$expr": "e.category"}}}}]}]}') AS r \gset
SELECT pg_sleep(0.03);
SELECT algawf.run_pending();
SELECT status, vars->>'timedOut' AS timed_out, vars->'e'->>'message' AS message FROM algawf.runs WHERE run_id = :'r';
SELECT status FROM algawf.workflow_run_waits WHERE run_id = :'r';
-- uncaught, it fails the run
SELECT pg_temp.start('{"name": "impatient-uncaught", "steps": [
  {"id": "w", "type": "event.wait", "config": {"eventName": "NEVER", "correlationKey": "k", "timeoutMs": 20}}]}') AS r \gset
SELECT pg_sleep(0.03);
SELECT algawf.run_pending();
SELECT * FROM pg_temp.state(:'r');

-- approvals ------------------------------------------------------------------
SELECT algawf.create_workflow('{"id": "e3000000-0000-0000-0000-00000000000a", "name": "Approve discount", "steps": [
  {"id": "ask", "type": "human.task", "config": {"taskType": "approval",
     "title": {"$expr": "\"Discount of \" & $string(payload.pct) & \"% for \" & payload.client"},
     "description": "Please check the margin",
     "contextData": {"client": {"$expr": "payload.client"}, "pct": {"$expr": "payload.pct"}},
     "assignee": {"type": "user", "id": {"$expr": "payload.approver"}},
     "expiresInMs": 3600000,
     "assign": {"vars.decision": {"$expr": "vars.event.decision"}}}},
  {"id": "branch", "type": "control.if", "condition": {"$expr": "decision = \"approved\""},
   "then": [{"id": "yes", "type": "state.set", "config": {"state": "discount-applied"}}],
   "else": [{"id": "no", "type": "state.set", "config": {"state": "discount-refused"}}]}]}');

-- approve
SELECT algawf.run('e3000000-0000-0000-0000-00000000000a', '{"pct": 15, "client": "Acme",
  "approver": "00000000-0000-0000-0000-0000000000e3"}', true) AS r \gset
SELECT status, waiting_for FROM algawf.runs WHERE run_id = :'r';
SELECT task_type, title, description, context_data, assignee_type, expires_at > now() AS expires_later
  FROM algawf.pending_approvals WHERE run_id = :'r';
SELECT task_id AS task FROM algawf.approvals WHERE run_id = :'r' \gset
-- someone else may not decide it
SET algawf."user" = '00000000-0000-0000-0000-0000000000ee';
SELECT count(*) AS theirs FROM algawf.pending_approvals WHERE run_id = :'r';
SELECT pg_temp.decide(:'task', 'approved');
-- nor may a session without a PSA user
RESET algawf."user";
SELECT pg_temp.decide(:'task', 'approved');
SET algawf."user" = '00000000-0000-0000-0000-0000000000e3';
SELECT pg_temp.decide(:'task', 'yes please');
SELECT pg_temp.decide(:'task', 'approved', 'margin is fine');
-- once only
SELECT pg_temp.decide(:'task', 'rejected');
SELECT status, decision, comment, decided_by FROM algawf.approvals WHERE task_id = :'task';
SELECT algawf.run_pending();
SELECT status, meta->>'state' AS state, vars->'event'->>'decision' AS decision, vars->'event'->>'comment' AS comment,
       vars->'event'->>'decidedBy' AS decided_by, vars->'event' ? 'decidedAt' AS has_decided_at
  FROM algawf.runs WHERE run_id = :'r';
SELECT step_id, status FROM algawf.run_steps WHERE run_id = :'r' ORDER BY seq;

-- reject
SELECT algawf.run('e3000000-0000-0000-0000-00000000000a', '{"pct": 40, "client": "Globex",
  "approver": "00000000-0000-0000-0000-0000000000e3"}', true) AS r \gset
SELECT pg_temp.decide(task_id, 'rejected', 'too much') FROM algawf.approvals WHERE run_id = :'r';
SELECT algawf.run_pending();
SELECT status, meta->>'state' AS state, vars->>'decision' AS decision FROM algawf.runs WHERE run_id = :'r';

-- expire: the run resumes with a TimeoutError (here uncaught: the run fails)
SELECT pg_temp.start('{"name": "short approval", "steps": [
  {"id": "ask", "type": "human.task", "config": {"taskType": "approval", "title": "Quick!",
     "assignee": {"type": "user", "id": "00000000-0000-0000-0000-0000000000e3"}, "expiresInMs": 20}}]}') AS r \gset
SELECT pg_sleep(0.03);
SELECT algawf.run_pending();
SELECT * FROM pg_temp.state(:'r');
SELECT status FROM algawf.approvals WHERE run_id = :'r';
SELECT pg_temp.decide(task_id, 'approved') FROM algawf.approvals WHERE run_id = :'r';
-- caught, the workflow takes another path
SELECT pg_temp.start('{"name": "approval or default", "steps": [
  {"id": "t", "type": "control.tryCatch", "captureErrorAs": "e", "try": [
    {"id": "ask", "type": "human.task", "config": {"taskType": "approval", "title": "Quick!",
       "assignee": {"type": "user", "id": "00000000-0000-0000-0000-0000000000e3"}, "expiresInMs": 20}}],
   "catch": [{"id": "default", "type": "state.set", "config": {"state": "auto-rejected"}}]}]}') AS r \gset
SELECT pg_sleep(0.03);
SELECT algawf.run_pending();
SELECT status, meta->>'state' AS state, vars->'e'->>'category' AS category FROM algawf.runs WHERE run_id = :'r';

-- other task types complete with any decision
SELECT pg_temp.start('{"name": "checklist", "steps": [
  {"id": "do", "type": "human.task", "config": {"taskType": "checklist", "title": "Rack the server",
     "assignee": {"type": "user", "id": "00000000-0000-0000-0000-0000000000e3"}}}]}') AS r \gset
SELECT pg_temp.decide(task_id, 'done', 'racked in B4') FROM algawf.approvals WHERE run_id = :'r';
SELECT algawf.run_pending();
SELECT status, vars->'event'->>'decision' AS decision FROM algawf.runs WHERE run_id = :'r';
SELECT status FROM algawf.approvals WHERE run_id = :'r';

-- an unknown task
SELECT pg_temp.decide('e3000000-0000-0000-0000-0000000000ff', 'approved');

-- leave the database as this test found it (other tests expect to install the extensions)
RESET ROLE;
DROP EXTENSION algawf CASCADE;
DROP EXTENSION algawf_psa CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
