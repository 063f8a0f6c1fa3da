-- Views for DBAs and applications.  All are security_invoker: they show what
-- row-level security lets the caller see (the current tenant's rows).

CREATE VIEW algawf.runs WITH (security_invoker = true) AS
SELECT r.run_id, r.workflow_id, d.key AS workflow_key, d.name AS workflow_name, r.workflow_version,
       r.status, (r.status = 'RUNNING' AND r.started_at IS NULL) AS queued,
       r.current_path, r.input, r.payload, r.vars, r.meta, r.error,
       w.kind AS waiting_for, w.event_name AS waiting_event, w.timeout_at AS wait_timeout_at,
       r.trigger_type, r.trigger_fire_key, r.parent_run_id, r.root_run_id, r.retry_of, r.actor,
       r.steps_executed, r.segments, r.runnable_at, r.deadline_at,
       r.created_at, r.started_at, r.completed_at,
       round((extract(epoch FROM coalesce(r.completed_at, clock_timestamp()) - r.started_at) * 1000)::numeric, 3)
           AS duration_ms
  FROM algawf.workflow_runs r
  JOIN algawf.workflow_definitions d ON d.tenant = r.tenant AND d.workflow_id = r.workflow_id
  LEFT JOIN LATERAL (
        SELECT x.kind, x.event_name, x.timeout_at FROM algawf.workflow_run_waits x
         WHERE x.tenant = r.tenant AND x.run_id = r.run_id AND x.status = 'WAITING'
         ORDER BY x.created_at DESC LIMIT 1) w ON true;
COMMENT ON VIEW algawf.runs IS
    'Runs of the current tenant: status (queued = RUNNING not started yet), position, data, error, what a WAITING run waits for, timings.';

CREATE VIEW algawf.run_steps WITH (security_invoker = true) AS
SELECT s.run_id, s.seq, s.step_path, s.step_id, s.step_type, s.action_id, s.action_version,
       s.status, s.attempt, s.iteration, s.started_at, s.completed_at,
       round(s.duration_ms::numeric, 3) AS duration_ms, s.error, s.wait_id, s.invocation_id
  FROM algawf.workflow_run_steps s;
COMMENT ON VIEW algawf.run_steps IS
    'Every step attempt of the current tenant''s runs, in order (seq): path, status, attempt, loop iteration, timings, error.';

CREATE VIEW algawf.queue WITH (security_invoker = true) AS
SELECT r.run_id, r.workflow_id, r.status, r.runnable_at, r.lease_owner, r.lease_expires_at,
       (r.started_at IS NULL) AS not_started, r.created_at
  FROM algawf.workflow_runs r
 WHERE r.status IN ('RUNNING', 'WAITING') AND r.runnable_at IS NOT NULL
 ORDER BY r.runnable_at;
COMMENT ON VIEW algawf.queue IS
    'Runs waiting to be executed (runnable now or at runnable_at), in claim order.';

CREATE VIEW algawf.stat_workflows WITH (security_invoker = true) AS
SELECT d.workflow_id, d.key, d.name, d.published_version, d.is_paused,
       count(r.run_id) AS runs,
       count(r.run_id) FILTER (WHERE r.status = 'SUCCEEDED') AS succeeded,
       count(r.run_id) FILTER (WHERE r.status = 'FAILED') AS failures,
       count(r.run_id) FILTER (WHERE r.status = 'CANCELED') AS canceled,
       count(r.run_id) FILTER (WHERE r.status IN ('RUNNING', 'WAITING')) AS active,
       max(r.created_at) AS last_run_at,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.completed_at - r.started_at) * 1000))::numeric, 3) AS p50_ms,
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r.completed_at - r.started_at) * 1000))::numeric, 3) AS p95_ms
  FROM algawf.workflow_definitions d
  LEFT JOIN algawf.workflow_runs r ON r.tenant = d.tenant AND r.workflow_id = d.workflow_id
 GROUP BY d.tenant, d.workflow_id, d.key, d.name, d.published_version, d.is_paused;
COMMENT ON VIEW algawf.stat_workflows IS
    'Per workflow: runs, successes, failures, cancellations, active runs, last run, p50/p95 duration of finished runs (ms).';

CREATE VIEW algawf.stat_actions WITH (security_invoker = true) AS
WITH s AS (
    SELECT x.action_id, x.action_version, x.status, x.duration_ms, x.started_at, x.error->>'code' AS code
      FROM algawf.workflow_run_steps x
     WHERE x.action_id IS NOT NULL AND x.status IN ('SUCCEEDED', 'FAILED', 'RETRY_SCHEDULED'))
SELECT a.action_id, a.action_version, a.calls, a.failures,
       coalesce(c.by_code, '{}'::jsonb) AS failures_by_code, a.p50_ms, a.p95_ms, a.last_call_at
  FROM (SELECT s.action_id, s.action_version, count(*) AS calls,
               count(*) FILTER (WHERE s.status <> 'SUCCEEDED') AS failures,
               round((percentile_cont(0.5) WITHIN GROUP (ORDER BY s.duration_ms))::numeric, 3) AS p50_ms,
               round((percentile_cont(0.95) WITHIN GROUP (ORDER BY s.duration_ms))::numeric, 3) AS p95_ms,
               max(s.started_at) AS last_call_at
          FROM s GROUP BY s.action_id, s.action_version) a
  LEFT JOIN (SELECT y.action_id, y.action_version, jsonb_object_agg(coalesce(y.code, 'UNKNOWN'), y.n) AS by_code
               FROM (SELECT s.action_id, s.action_version, s.code, count(*) AS n
                       FROM s WHERE s.status <> 'SUCCEEDED'
                      GROUP BY s.action_id, s.action_version, s.code) y
              GROUP BY y.action_id, y.action_version) c
    ON c.action_id = a.action_id AND c.action_version = a.action_version;
COMMENT ON VIEW algawf.stat_actions IS
    'Per action (from action.call step attempts): calls, failures, failures by error code, p50/p95 duration (ms), last call.';

CREATE VIEW algawf.variables WITH (security_invoker = true) AS
SELECT v.name, CASE WHEN v.workflow_id IS NULL THEN 'tenant' ELSE 'workflow' END AS scope,
       v.workflow_id, d.key AS workflow_key, v.value, v.updated_by, v.updated_at
  FROM algawf.workflow_variables v
  LEFT JOIN algawf.workflow_definitions d ON d.tenant = v.tenant AND d.workflow_id = v.workflow_id;
COMMENT ON VIEW algawf.variables IS
    'Tenant-wide and per-workflow variables (env.NAME in expressions).';

GRANT SELECT ON algawf.runs, algawf.run_steps, algawf.queue, algawf.stat_workflows, algawf.stat_actions,
    algawf.variables TO algawf_admin, algawf_operator, algawf_service;
