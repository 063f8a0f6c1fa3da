-- Background execution seen from a database the workers do not serve (the
-- suite's workers serve algawf_test): status(), worker_status, tick() doing
-- everything itself, schedules, retention, and the http.request action's
-- checks.  Workers, wake-ups and HTTP sending are covered by test/e2e/worker_*.sh.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS algawf CASCADE;      -- a clean slate: tick() acts on every tenant
CREATE EXTENSION algawf CASCADE;
RESET client_min_messages;
SET timezone = 'UTC';

-- ---- status -----------------------------------------------------------------
SELECT item, value, hint IS NOT NULL AS has_hint FROM algawf.status()
 WHERE item IN ('background execution', 'pg_cron tick', 'runs due');
SELECT hint LIKE 'Set algawf.database = ''' || current_database() || '''%' AS says_how
  FROM algawf.status() WHERE item = 'background execution';
-- the view works (one row per executor slot when preloaded)
SELECT count(*) >= 0 AS ok, array_agg(DISTINCT state) <@ ARRAY['idle', 'claiming', 'running', 'sending', 'tick',
       'paused', 'no extension', 'stopped', 'starting'] AS known_states FROM algawf.worker_status;
SELECT algawf._executors_running() AS executors_here;

-- ---- tick() runs due runs when no executor serves the database ---------------
SET algawf.tenant = '00000000-0000-0000-0000-0000000000f1';
SELECT algawf.create_workflow('{"id": "f1000000-0000-0000-0000-000000000001", "key": "plain", "name": "plain",
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.done": true}}}]}');
SELECT count(algawf.run('plain', '{}')) FROM generate_series(1, 3);
SELECT status, count(*) FROM algawf.workflow_runs GROUP BY 1;
SELECT t - 'executors' AS tick FROM algawf.tick() t;
SELECT status, count(*) FROM algawf.workflow_runs GROUP BY 1;
RESET algawf.tenant;
SELECT algawf.tick() - 'executors' AS idle_tick;

-- ---- schedules ----------------------------------------------------------------
SET algawf.tenant = '00000000-0000-0000-0000-0000000000f1';
-- a recurring trigger gets its next fire time at publish
SELECT algawf.create_workflow('{"id": "f1000000-0000-0000-0000-0000000000c1", "key": "hourly", "name": "hourly",
  "trigger": {"type": "recurring", "cron": "0 * * * *", "timezone": "Europe/Berlin"},
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.fired": true}}}]}');
SELECT kind, cron, timezone, enabled, next_fire_at = algawf.cron_next('0 * * * *', 'Europe/Berlin', now()) AS armed
  FROM algawf.schedules WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c1';
-- a bad expression or zone is refused at publish
\set VERBOSITY terse
SELECT algawf.create_workflow('{"key": "bad-cron", "name": "bad cron",
  "trigger": {"type": "recurring", "cron": "0 25 * * *", "timezone": "UTC"}, "steps": []}');
SELECT algawf.create_workflow('{"key": "bad-zone", "name": "bad zone",
  "trigger": {"type": "recurring", "cron": "0 * * * *", "timezone": "Moon/Base"}, "steps": []}');
\set VERBOSITY default
-- downtime: five hours of missed slots fire once, for the latest slot
UPDATE algawf.schedules SET next_fire_at = date_trunc('hour', now()) - interval '5 hours'
 WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c1';
SELECT (algawf.tick()->>'fired')::int AS fired;
SELECT count(*) AS runs, min(status) AS status, min(trigger_type) AS trigger_type,
       min(trigger_fire_key) = (SELECT format('schedule:%s:%s', schedule_id,
                                       to_char(date_trunc('hour', now()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
                                  FROM algawf.schedules WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c1') AS latest_slot_key,
       min(trigger_metadata->>'scheduledFor') = to_char(date_trunc('hour', now()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS scheduled_for
  FROM algawf.workflow_runs WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c1';
SELECT next_fire_at = algawf.cron_next('0 * * * *', 'Europe/Berlin', now()) AS rearmed, last_run_id IS NOT NULL AS has_run,
       last_error FROM algawf.schedules WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c1';
-- the same slot fired again (a second process, a stale view): no second run
UPDATE algawf.schedules SET next_fire_at = date_trunc('hour', now())
 WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c1';
SELECT (algawf.tick()->>'fired')::int AS fired_again;
SELECT count(*) AS still_one_run FROM algawf.workflow_runs WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c1';
-- a paused workflow's slot is skipped (and the schedule moves on)
SELECT algawf.set_paused('f1000000-0000-0000-0000-0000000000c1', true);
UPDATE algawf.schedules SET next_fire_at = now() - interval '1 minute'
 WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c1';
SELECT (algawf.tick()->>'fired')::int AS fired_while_paused;
SELECT next_fire_at > now() AS moved_on FROM algawf.schedules WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c1';
SELECT algawf.set_paused('f1000000-0000-0000-0000-0000000000c1', false);
-- a one-shot schedule in the past fires once, then never again
SELECT algawf.create_workflow('{"id": "f1000000-0000-0000-0000-0000000000c2", "key": "once", "name": "once",
  "trigger": {"type": "schedule", "runAt": "2020-01-01T00:00:00Z"},
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.once": true}}}]}');
SELECT (algawf.tick()->>'fired')::int AS fired_once;
SELECT (algawf.tick()->>'fired')::int AS fired_twice;
SELECT s.next_fire_at, s.last_fire_key LIKE 'schedule:%:2020-01-01T00:00:00Z' AS key,
       (SELECT count(*) FROM algawf.workflow_runs r WHERE r.workflow_id = s.workflow_id) AS runs,
       (SELECT status FROM algawf.workflow_runs r WHERE r.workflow_id = s.workflow_id) AS status
  FROM algawf.schedules s WHERE s.workflow_id = 'f1000000-0000-0000-0000-0000000000c2';
-- republishing an unchanged one-shot trigger does not fire it again
SELECT algawf.update_workflow('f1000000-0000-0000-0000-0000000000c2', '{"id": "f1000000-0000-0000-0000-0000000000c2",
  "key": "once", "name": "once", "trigger": {"type": "schedule", "runAt": "2020-01-01T00:00:00Z"},
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.once": "again"}}}]}') IS NOT NULL AS updated;
SELECT algawf.publish('f1000000-0000-0000-0000-0000000000c2') AS version;
SELECT (algawf.tick()->>'fired')::int AS fired_after_republish;
-- a workflow without a schedule trigger loses its schedule
SELECT algawf.update_workflow('f1000000-0000-0000-0000-0000000000c2', '{"id": "f1000000-0000-0000-0000-0000000000c2",
  "key": "once", "name": "once", "steps": []}') IS NOT NULL AS updated;
SELECT algawf.publish('f1000000-0000-0000-0000-0000000000c2') AS version;
SELECT count(*) AS schedules_left FROM algawf.schedules WHERE workflow_id = 'f1000000-0000-0000-0000-0000000000c2';

-- ---- retention ----------------------------------------------------------------
SELECT count(*) AS finished FROM algawf.workflow_runs WHERE completed_at IS NOT NULL;
-- nothing is old enough for the default (30 days)
SELECT (algawf.tick()->>'purged')::int AS purged_by_tick;
-- a workflow's own retention: its runs go once older than that
UPDATE algawf.workflow_definitions SET retention = interval '1 second'
 WHERE workflow_id = 'f1000000-0000-0000-0000-000000000001';
UPDATE algawf.workflow_runs SET completed_at = now() - interval '1 minute'
 WHERE workflow_id = 'f1000000-0000-0000-0000-000000000001';
SELECT (algawf.tick()->>'purged')::int >= 3 AS purged_by_tick;
SELECT (SELECT count(*) FROM algawf.workflow_runs WHERE workflow_id = 'f1000000-0000-0000-0000-000000000001') AS left_of_plain,
       (SELECT count(*) FROM algawf.workflow_runs WHERE workflow_id <> 'f1000000-0000-0000-0000-000000000001') AS others_kept;
-- purge() takes everything finished before the horizon, steps and logs with it
SELECT algawf.purge(interval '0') > 0 AS purged;
SELECT (SELECT count(*) FROM algawf.workflow_runs WHERE completed_at IS NOT NULL) AS finished,
       (SELECT count(*) FROM algawf.workflow_run_steps) AS steps,
       (SELECT count(*) FROM algawf.workflow_run_logs) AS logs;
SELECT algawf.purge(NULL);
SELECT algawf.purge(interval '-1 day');
RESET algawf.tenant;

-- ---- http.request: checks made in the caller's transaction --------------------
SELECT algawf._http_url_problem('http://127.0.0.1:18080/x') AS not_allowed_by_default;
SELECT algawf._http_url_problem('ftp://example.com/file') AS scheme;
SELECT algawf._http_url_problem('not a url') AS garbage;
SET algawf.tenant = '00000000-0000-0000-0000-0000000000f1';
SELECT algawf._http_action(i, 'k', '00000000-0000-0000-0000-000000000001', 'root.steps[0]', 1) -> 'error' ->> 'message' AS refused
  FROM (VALUES ('{"method": "GET"}'::jsonb),
               ('{"url": "http://x.example/", "method": "FETCH"}'),
               ('{"url": "http://x.example/", "json": {}, "body": "x"}'),
               ('{"url": "http://x.example/", "timeoutMs": 0}'),
               ('{"url": "http://x.example/", "expectStatus": "ok"}'),
               ('{"url": "http://x.example/", "headers": ["a"]}'),
               ('{"url": "http://x.example/", "query": {"a": {"b": 1}}}'),
               ('{"url": "http://169.254.169.254/latest/meta-data/"}')) AS t(i);
SELECT (algawf._http_action('{"url": "http://169.254.169.254/"}', 'k', '00000000-0000-0000-0000-000000000001', 'p', 1) -> 'error')
       - 'message' AS ssrf_error;
SELECT count(*) AS nothing_queued FROM algawf.http_requests;
RESET algawf.tenant;
