-- Background execution: the executors' status from shared memory, what the
-- extension knows about background execution, and the wake-up calls for
-- SQL-level code.  See doc/worker.md.

CREATE FUNCTION algawf._worker_status(
    OUT worker int, OUT pid int, OUT state text, OUT state_since timestamptz,
    OUT current_run uuid, OUT current_tenant uuid, OUT runs_done bigint,
    OUT http_inflight int, OUT http_done bigint, OUT wakeups bigint, OUT rounds bigint,
    OUT errors bigint, OUT last_error text, OUT last_error_at timestamptz,
    OUT started_at timestamptz, OUT sleeping_until timestamptz)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'algawf_worker_status'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf._worker_status() IS
    'Internal: one row per executor slot from shared memory (empty when algawf is not preloaded); read it through algawf.worker_status.';
REVOKE ALL ON FUNCTION algawf._worker_status() FROM PUBLIC;

CREATE VIEW algawf.worker_status AS
SELECT worker, pid, state, state_since, current_run,
       CASE WHEN current_tenant = algawf.current_tenant() OR pg_has_role('algawf_service', 'USAGE')
            THEN current_tenant END AS current_tenant,
       runs_done, http_inflight, http_done, wakeups, rounds, errors,
       last_error, last_error_at, started_at, sleeping_until
FROM algawf._worker_status();
COMMENT ON VIEW algawf.worker_status IS
    'The background executors, from shared memory: pid, state (idle, claiming, running, sending, tick, paused, no extension, stopped), the run being executed, segments executed, HTTP requests in flight and done, wake-ups, the last error. Empty when algawf is not in shared_preload_libraries.';
COMMENT ON COLUMN algawf.worker_status.worker IS 'Executor number (1 .. algawf.workers); pg_stat_activity shows it as "algawf executor N".';
COMMENT ON COLUMN algawf.worker_status.state IS 'idle (sleeping on its latch), claiming, running (a run segment), sending (only HTTP in flight), tick (schedules, lease recovery, retention), paused (DDL in progress), no extension, stopped.';
COMMENT ON COLUMN algawf.worker_status.current_run IS 'Run whose segment is executing now.';
COMMENT ON COLUMN algawf.worker_status.current_tenant IS 'Tenant of that run (shown to the tenant''s members and to algawf_service only).';
COMMENT ON COLUMN algawf.worker_status.runs_done IS 'Run segments executed since the executor started.';
COMMENT ON COLUMN algawf.worker_status.http_inflight IS 'HTTP requests this executor has in flight now.';
COMMENT ON COLUMN algawf.worker_status.http_done IS 'HTTP requests completed (any outcome) since the executor started.';
COMMENT ON COLUMN algawf.worker_status.wakeups IS 'Times the executor woke from sleep (latch or timer); constant while idle.';
COMMENT ON COLUMN algawf.worker_status.rounds IS 'Rounds of looking for work.';
COMMENT ON COLUMN algawf.worker_status.last_error IS 'Message of the last error the executor caught (it logged it and carried on).';
COMMENT ON COLUMN algawf.worker_status.sleeping_until IS 'When an idle executor''s timer fires (NULL: sleeping until woken).';
GRANT SELECT ON algawf.worker_status TO algawf_admin, algawf_operator, algawf_service;

CREATE FUNCTION algawf._background_info() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'algawf_background_info'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION algawf._background_info() IS
    'Internal: what this backend knows about background execution (preloaded?, launcher, served database, executors).';

CREATE FUNCTION algawf._executors_running() RETURNS int
    AS 'MODULE_PATHNAME', 'algawf_executors_running'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf._executors_running() IS
    'Internal: executors alive and connected to this database (0 when algawf is not preloaded).';

CREATE FUNCTION algawf._wake_executor(at timestamptz DEFAULT NULL) RETURNS void
    AS 'MODULE_PATHNAME', 'algawf_wake_sql'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf._wake_executor(timestamptz) IS
    'Internal: when this transaction commits, wake an executor (at => NULL: work is runnable now) or make sure one wakes by "at" (a timer was set).';
REVOKE ALL ON FUNCTION algawf._wake_executor(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf._wake_executor(timestamptz) TO algawf_service;

CREATE FUNCTION algawf._boot_id() RETURNS text
    AS 'MODULE_PATHNAME', 'algawf_boot_id'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION algawf._boot_id() IS
    'Internal: identifies this server start in lease owners (NULL when algawf is not preloaded); leases of earlier starts are recovered at once.';

-- status(): one row per fact, with a hint where something needs doing.
CREATE FUNCTION algawf.status(OUT item text, OUT value text, OUT hint text)
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    info jsonb := algawf._background_info();
    preloaded boolean := (info ->> 'preloaded')::boolean;
    workers int := (info ->> 'workers')::int;
    served boolean := coalesce((info ->> 'this_database_served')::boolean, false);
    running int := coalesce((info ->> 'executors_running')::int, 0);
    has_cron boolean := to_regclass('cron.job') IS NOT NULL;
    cron_job boolean := false;
    n bigint;
BEGIN
    item := 'version'; value := (SELECT extversion FROM pg_extension WHERE extname = 'algawf'); hint := NULL;
    RETURN NEXT;

    item := 'background execution';
    IF NOT preloaded THEN
        value := 'off: algawf is not in shared_preload_libraries';
        hint := 'Add algawf to shared_preload_libraries in postgresql.conf, set algawf.database = '''
                || current_database() || ''' and restart the server. Until then runs move only through '
                || 'algawf.run(..., wait => true) and algawf.tick()' ||
                CASE WHEN has_cron THEN ' (pg_cron calls it every minute).' ELSE '.' END;
    ELSIF workers = 0 THEN
        value := 'off: algawf.workers = 0';
        hint := 'Set algawf.workers (e.g. 2) in postgresql.conf and restart the server.';
    ELSIF NOT served THEN
        value := 'off in this database: the workers serve database ' || quote_literal(info ->> 'database');
        hint := 'Set algawf.database = ''' || current_database() || ''' in postgresql.conf and restart the server '
                || '(the workers serve one database).';
    ELSIF running = 0 THEN
        value := 'starting or failing: no executor is running';
        hint := 'See the server log for "algawf executor" messages, and max_worker_processes.';
    ELSE
        value := format('on: %s of %s executors running', running, workers);
        hint := NULL;
    END IF;
    RETURN NEXT;

    item := 'database'; value := coalesce(info ->> 'database', ''); hint := NULL;
    RETURN NEXT;

    IF has_cron THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job WHERE jobname = ''algawf-tick'' AND database = current_database())'
            INTO cron_job;
    END IF;
    item := 'pg_cron tick';
    value := CASE WHEN cron_job THEN 'scheduled every minute (job algawf-tick)'
                  WHEN has_cron THEN 'not scheduled'
                  ELSE 'pg_cron is not installed in this database' END;
    hint := CASE WHEN NOT cron_job AND has_cron THEN 'SELECT algawf.schedule_tick();'
                 WHEN NOT cron_job AND NOT preloaded THEN
                     'Without the workers, schedules fire only when something calls algawf.tick(): install pg_cron, or call it from your own scheduler.'
            END;
    RETURN NEXT;

    IF to_regclass('algawf.workflow_runs') IS NOT NULL THEN
        EXECUTE 'SELECT count(*) FROM algawf.workflow_runs WHERE status IN (''RUNNING'', ''WAITING'') AND runnable_at <= now()' INTO n;
        item := 'runs due'; value := n::text;
        hint := CASE WHEN n > 0 AND running = 0 THEN 'Runs are waiting for an executor; see "background execution".' END;
        RETURN NEXT;
        EXECUTE 'SELECT count(*) FROM algawf.workflow_runs WHERE status = ''WAITING''' INTO n;
        item := 'runs waiting'; value := n::text; hint := NULL;
        RETURN NEXT;
    END IF;
    IF to_regclass('algawf.http_requests') IS NOT NULL THEN
        EXECUTE 'SELECT count(*) FROM algawf.http_requests WHERE status = ''pending''' INTO n;
        item := 'http requests pending'; value := n::text;
        hint := CASE WHEN n > 0 AND running = 0 THEN 'HTTP requests are sent only by the executors (never inside a transaction).' END;
        RETURN NEXT;
        EXECUTE 'SELECT count(*) FROM algawf.http_requests WHERE status = ''sending''' INTO n;
        item := 'http requests in flight'; value := n::text; hint := NULL;
        RETURN NEXT;
    END IF;
    item := 'next timer'; value := coalesce(info ->> 'next_deadline', ''); hint := NULL;
    IF preloaded THEN
        RETURN NEXT;
    END IF;
END
$$;
COMMENT ON FUNCTION algawf.status() IS
    'Background execution at a glance: whether the workers run for this database (and how to turn them on), the pg_cron tick, runs due and waiting, HTTP requests pending and in flight.';
