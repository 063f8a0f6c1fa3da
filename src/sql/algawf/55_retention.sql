-- Retention: finished runs (with their steps, waits, logs and approvals),
-- their HTTP requests and action invocations, received events, invocations
-- outside runs, event trigger failures and e-mail sent or given up are
-- deleted once older than algawf.retention (runs: per workflow, retention).
-- The audit log is kept.  The executors and algawf.tick() purge in batches;
-- algawf.purge() on demand.

ALTER TABLE algawf.workflow_definitions
    ADD COLUMN retention interval CHECK (retention > interval '0');
COMMENT ON COLUMN algawf.workflow_definitions.retention IS
    'How long this workflow''s finished runs are kept; NULL: the algawf.retention setting.';

CREATE INDEX workflow_runs_completed_idx ON algawf.workflow_runs (completed_at)
    WHERE completed_at IS NOT NULL;

CREATE FUNCTION algawf._retention_default() RETURNS interval
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN coalesce(current_setting('algawf.retention', true), '') IN ('', '0')
                THEN NULL ELSE current_setting('algawf.retention', true)::interval END
$$;
COMMENT ON FUNCTION algawf._retention_default() IS
    'Internal: algawf.retention as an interval (NULL when 0: keep forever).';

-- Delete one batch.  older_than NULL: each workflow's retention (else
-- algawf.retention); given: everything finished before now() - older_than.
-- Returns the number of rows deleted.
CREATE FUNCTION algawf._purge_batch(older_than interval, max_runs int) RETURNS int
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dflt interval := coalesce(older_than, algawf._retention_default());
    n_runs int := 0;
    n_other int := 0;
    n int;
    tenants uuid[];
    runs uuid[];
BEGIN
    WITH doomed AS (
        SELECT r.tenant, r.run_id
          FROM algawf.workflow_runs r
          LEFT JOIN algawf.workflow_definitions d ON d.tenant = r.tenant AND d.workflow_id = r.workflow_id
         WHERE r.completed_at IS NOT NULL
           AND r.completed_at < now() - CASE WHEN older_than IS NOT NULL THEN older_than
                                             ELSE coalesce(d.retention, dflt) END
         ORDER BY r.completed_at
         LIMIT max_runs
         FOR UPDATE OF r SKIP LOCKED),
    gone AS (
        DELETE FROM algawf.workflow_runs r USING doomed
         WHERE r.tenant = doomed.tenant AND r.run_id = doomed.run_id
        RETURNING r.tenant, r.run_id)
    SELECT count(*), array_agg(tenant), array_agg(run_id) INTO n_runs, tenants, runs FROM gone;

    IF n_runs > 0 THEN
        DELETE FROM algawf.http_requests h USING unnest(tenants, runs) AS p(tenant, run_id)
         WHERE h.tenant = p.tenant AND h.run_id = p.run_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        n_other := n_other + n;
        IF to_regclass('algawf.workflow_action_invocations') IS NOT NULL THEN
            EXECUTE 'DELETE FROM algawf.workflow_action_invocations i USING unnest($1, $2) AS p(tenant, run_id)
                      WHERE i.tenant = p.tenant AND i.run_id = p.run_id' USING tenants, runs;
            GET DIAGNOSTICS n = ROW_COUNT;
            n_other := n_other + n;
        END IF;
    END IF;

    IF dflt IS NOT NULL THEN
        -- requests that belong to no run, and received events
        DELETE FROM algawf.http_requests
         WHERE ctid = ANY (ARRAY(SELECT ctid FROM algawf.http_requests
                                  WHERE run_id IS NULL AND completed_at < now() - dflt
                                  LIMIT max_runs));
        GET DIAGNOSTICS n = ROW_COUNT;
        n_other := n_other + n;
        DELETE FROM algawf.workflow_runtime_events
         WHERE ctid = ANY (ARRAY(SELECT ctid FROM algawf.workflow_runtime_events
                                  WHERE received_at < now() - dflt
                                  LIMIT max_runs));
        GET DIAGNOSTICS n = ROW_COUNT;
        n_other := n_other + n;
        -- the history other parts keep, when installed: invocations outside
        -- runs, events that could not start a workflow, e-mail sent or given up
        IF to_regclass('algawf.workflow_action_invocations') IS NOT NULL THEN
            EXECUTE 'DELETE FROM algawf.workflow_action_invocations WHERE ctid = ANY (ARRAY(
                       SELECT ctid FROM algawf.workflow_action_invocations
                        WHERE run_id IS NULL AND finished_at < now() - $1 LIMIT $2))' USING dflt, max_runs;
            GET DIAGNOSTICS n = ROW_COUNT;
            n_other := n_other + n;
        END IF;
        IF to_regclass('algawf.event_trigger_failures') IS NOT NULL THEN
            EXECUTE 'DELETE FROM algawf.event_trigger_failures WHERE ctid = ANY (ARRAY(
                       SELECT ctid FROM algawf.event_trigger_failures WHERE created_at < now() - $1 LIMIT $2))'
              USING dflt, max_runs;
            GET DIAGNOSTICS n = ROW_COUNT;
            n_other := n_other + n;
        END IF;
        IF to_regclass('algawf.email_outbox') IS NOT NULL THEN
            EXECUTE 'DELETE FROM algawf.email_outbox WHERE ctid = ANY (ARRAY(
                       SELECT ctid FROM algawf.email_outbox
                        WHERE status IN (''sent'', ''failed'', ''canceled'') AND updated_at < now() - $1 LIMIT $2))'
              USING dflt, max_runs;
            GET DIAGNOSTICS n = ROW_COUNT;
            n_other := n_other + n;
        END IF;
    END IF;
    RETURN n_runs + n_other;
END
$$;
COMMENT ON FUNCTION algawf._purge_batch(interval, int) IS
    'Internal: deletes one batch of history past its retention; returns the rows deleted.';
REVOKE ALL ON FUNCTION algawf._purge_batch(interval, int) FROM PUBLIC;

-- When the oldest finished run becomes purgeable (the executors' retention
-- timer); NULL when there is nothing to purge ever.
CREATE FUNCTION algawf._next_purge_at() RETURNS timestamptz
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    oldest timestamptz;
    shortest interval;
BEGIN
    SELECT min(completed_at) INTO oldest FROM algawf.workflow_runs WHERE completed_at IS NOT NULL;
    IF oldest IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT min(x) INTO shortest
      FROM (SELECT algawf._retention_default() AS x
            UNION ALL
            SELECT min(retention) FROM algawf.workflow_definitions) s;
    RETURN oldest + shortest;
END
$$;
COMMENT ON FUNCTION algawf._next_purge_at() IS
    'Internal: the earliest time retention may have something to delete.';

CREATE FUNCTION algawf.purge(older_than interval) RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    total bigint := 0;
    n int;
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be a non-negative interval'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    LOOP
        n := algawf._purge_batch(older_than, 5000);
        total := total + n;
        EXIT WHEN n = 0;
    END LOOP;
    RETURN total;
END
$$;
COMMENT ON FUNCTION algawf.purge(interval) IS
    'Deletes, for every tenant, runs finished more than older_than ago (with their steps, waits, logs, approvals, HTTP requests and invocations), and events, invocations outside runs, event trigger failures and finished e-mail older than that; returns the number of rows deleted. The audit log is kept. Automatic retention (algawf.retention, per-workflow retention) does the same in the background.';
REVOKE ALL ON FUNCTION algawf.purge(interval) FROM PUBLIC;
