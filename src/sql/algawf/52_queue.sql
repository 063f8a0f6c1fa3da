-- The run queue as the executors see it (the queue is the engine's
-- algawf.workflow_runs; see the comment in 10_tables.sql): wake-up triggers
-- and the earliest timer.  See doc/worker.md.

CREATE FUNCTION algawf._wake_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'algawf_wake_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION algawf._wake_trigger() IS
    'Internal: AFTER trigger; when the row''s time (the column named by the trigger argument) is due, wake an executor at commit, else make sure one wakes by then.';

-- a run queued, resumed or given a timer
CREATE TRIGGER workflow_runs_wake
    AFTER INSERT OR UPDATE OF status, runnable_at ON algawf.workflow_runs
    FOR EACH ROW
    WHEN (NEW.runnable_at IS NOT NULL AND NEW.status IN ('RUNNING', 'WAITING'))
    EXECUTE FUNCTION algawf._wake_trigger('runnable_at');

-- a schedule created, changed or re-armed
CREATE TRIGGER schedules_wake
    AFTER INSERT OR UPDATE OF next_fire_at, enabled ON algawf.schedules
    FOR EACH ROW
    WHEN (NEW.enabled AND NEW.next_fire_at IS NOT NULL)
    EXECUTE FUNCTION algawf._wake_trigger('next_fire_at');

-- an external call queued (or put back after its sender died)
CREATE TRIGGER http_requests_wake
    AFTER INSERT OR UPDATE OF status, next_attempt_at ON algawf.http_requests
    FOR EACH ROW
    WHEN (NEW.status = 'pending')
    EXECUTE FUNCTION algawf._wake_trigger('next_attempt_at');

-- an e-mail queued by email.send (or put back for a retry)
CREATE TRIGGER email_outbox_wake
    AFTER INSERT OR UPDATE OF status, next_attempt_at ON algawf.email_outbox
    FOR EACH ROW
    WHEN (NEW.status = 'pending')
    EXECUTE FUNCTION algawf._wake_trigger('next_attempt_at');

-- The earliest future moment an executor has something to do: a run's timer,
-- a schedule's next fire, an HTTP request's or e-mail's retry time or a lease
-- that lapses.
-- Things due now are not timers (they were looked at this round).
CREATE FUNCTION algawf._worker_next_due() RETURNS timestamptz
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT min(t) FROM (
        (SELECT runnable_at FROM algawf.workflow_runs
          WHERE status IN ('RUNNING', 'WAITING') AND runnable_at > now()
          ORDER BY runnable_at LIMIT 1)
        UNION ALL
        (SELECT next_fire_at FROM algawf.schedules
          WHERE enabled AND next_fire_at > now()
          ORDER BY next_fire_at LIMIT 1)
        UNION ALL
        (SELECT next_attempt_at FROM algawf.http_requests
          WHERE status = 'pending' AND next_attempt_at > now()
          ORDER BY next_attempt_at LIMIT 1)
        UNION ALL
        (SELECT lease_expires_at FROM algawf.http_requests
          WHERE status = 'sending' AND lease_expires_at IS NOT NULL
          ORDER BY lease_expires_at LIMIT 1)
        UNION ALL
        (SELECT next_attempt_at FROM algawf.email_outbox
          WHERE status = 'pending' AND next_attempt_at > now()
          ORDER BY next_attempt_at LIMIT 1)
        UNION ALL
        (SELECT lease_expires_at FROM algawf.email_outbox
          WHERE status = 'sending' AND lease_expires_at IS NOT NULL
          ORDER BY lease_expires_at LIMIT 1)
    ) due(t)
$$;
COMMENT ON FUNCTION algawf._worker_next_due() IS
    'Internal: when an idle executor must wake next (NULL: only when woken).';
REVOKE ALL ON FUNCTION algawf._worker_next_due() FROM PUBLIC;
