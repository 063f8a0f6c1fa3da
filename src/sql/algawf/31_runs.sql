-- Runs: start, execute, drain, cancel, retry, deliver events.
--
-- Run state is written only through these functions.  They are SECURITY
-- DEFINER (the extension owner bypasses row-level security), so every
-- statement in them filters on tenant = algawf.require_tenant(), the tenant
-- the calling role may act for.

CREATE FUNCTION algawf.run(workflow_id uuid, payload jsonb DEFAULT '{}', wait boolean DEFAULT false)
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'algawf_run_by_id'
    LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION algawf.run(uuid, jsonb, boolean) IS
    'Starts a run of the workflow''s published version (payload validated against its payload schema) and returns its id. The run is queued; with wait => true it is executed inline until it ends or parks.';

CREATE FUNCTION algawf.run(workflow_key text, payload jsonb DEFAULT '{}', wait boolean DEFAULT false)
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'algawf_run_by_key'
    LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION algawf.run(text, jsonb, boolean) IS
    'Like run(uuid, ...), naming the workflow by its key (or its id as text).';

CREATE FUNCTION algawf.run_segment(run_id uuid) RETURNS text
    AS 'MODULE_PATHNAME', 'algawf_run_segment'
    LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION algawf.run_segment(uuid) IS
    'Executes a claimed run until it ends, parks or uses up algawf.segment_max_steps, in the caller''s transaction. Returns succeeded, failed, canceled, waiting, queued (held by the concurrency limit) or yielded.';

CREATE FUNCTION algawf.run_pending(max_runs int DEFAULT 100) RETURNS int
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t   uuid := algawf.require_tenant();
    r   uuid;
    n   int := 0;
BEGIN
    WHILE n < max_runs LOOP
        SELECT q.run_id INTO r FROM algawf.workflow_runs q
         WHERE q.tenant = t AND q.status IN ('RUNNING', 'WAITING')
           AND q.runnable_at <= clock_timestamp()
           AND (q.lease_expires_at IS NULL OR q.lease_expires_at < clock_timestamp())
         ORDER BY q.runnable_at
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
        EXIT WHEN NOT FOUND;
        PERFORM algawf.run_segment(r);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION algawf.run_pending(int) IS
    'Executes up to max_runs segments of runnable runs of the current tenant (queued, resumed, or with a due timer), claiming them with FOR UPDATE SKIP LOCKED; returns how many it executed. Works without the background worker.';

CREATE FUNCTION algawf._event_filters_match(filters jsonb, payload jsonb) RETURNS boolean
    AS 'MODULE_PATHNAME', 'algawf_event_filters_match'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION algawf._event_filters_match(jsonb, jsonb) IS
    'Whether an event payload passes event.wait filters [{path, op, value}] (Alga''s operators: =, !=, in, not_in, exists, not_exists, contains, starts_with, ends_with, >, >=, <, <=).';

CREATE FUNCTION algawf._wake(t uuid, run_id uuid) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE algawf.workflow_runs r
       SET status = 'RUNNING', runnable_at = clock_timestamp(), updated_at = clock_timestamp()
     WHERE r.tenant = $1 AND r.run_id = $2 AND r.status IN ('RUNNING', 'WAITING')
$$;
COMMENT ON FUNCTION algawf._wake(uuid, uuid) IS 'Marks a parked run runnable now (internal).';
REVOKE ALL ON FUNCTION algawf._wake(uuid, uuid) FROM PUBLIC;

CREATE FUNCTION algawf.deliver_event(event_name text, payload jsonb DEFAULT '{}',
                                     correlation_key text DEFAULT NULL, event_id uuid DEFAULT NULL)
    RETURNS int
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t    uuid := algawf.require_tenant();
    eid  uuid := coalesce($4, gen_random_uuid());
    w    record;
    n    int := 0;
BEGIN
    INSERT INTO algawf.workflow_runtime_events AS e (tenant, event_id, event_name, correlation_key, payload, source)
    VALUES (t, eid, $1, $3, coalesce($2, '{}'), 'deliver_event')
    ON CONFLICT ON CONSTRAINT workflow_runtime_events_pkey DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;       -- already delivered
    END IF;
    FOR w IN
        SELECT x.wait_id, x.run_id, x.filters FROM algawf.workflow_run_waits x
         WHERE x.tenant = t AND x.kind = 'event' AND x.status = 'WAITING'
           AND x.event_name = $1 AND x.correlation_key = coalesce($3, '')
         ORDER BY x.created_at
    LOOP
        CONTINUE WHEN NOT algawf._event_filters_match(w.filters, coalesce($2, '{}'));
        -- lock order everywhere: run, then its wait
        PERFORM 1 FROM algawf.workflow_runs r
         WHERE r.tenant = t AND r.run_id = w.run_id AND r.status IN ('RUNNING', 'WAITING') FOR UPDATE;
        CONTINUE WHEN NOT FOUND;
        UPDATE algawf.workflow_run_waits x
           SET status = 'RESOLVED', resolved_at = clock_timestamp(),
               resolution = jsonb_build_object('eventName', $1, 'payload', coalesce($2, '{}'),
                                               'eventId', eid, 'correlationKey', $3)
         WHERE x.tenant = t AND x.wait_id = w.wait_id AND x.status = 'WAITING';
        CONTINUE WHEN NOT FOUND;
        PERFORM algawf._wake(t, w.run_id);
        n := n + 1;
    END LOOP;
    UPDATE algawf.workflow_runtime_events e SET resumed_runs = n WHERE e.tenant = t AND e.event_id = eid;
    RETURN n;
END
$$;
COMMENT ON FUNCTION algawf.deliver_event(text, jsonb, text, uuid) IS
    'Records an event and resumes every run waiting (event.wait) for that event name and correlation key whose filters the payload passes; returns how many runs it resumed. A repeated event_id is ignored. The resumed runs are queued (run them with algawf.run_pending() or the worker).';

CREATE FUNCTION algawf.resume_wait(wait_id uuid, resolution jsonb) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t   uuid := algawf.require_tenant();
    r   uuid;
BEGIN
    SELECT x.run_id INTO r FROM algawf.workflow_run_waits x WHERE x.tenant = t AND x.wait_id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wait % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM 1 FROM algawf.workflow_runs x WHERE x.tenant = t AND x.run_id = r FOR UPDATE;
    UPDATE algawf.workflow_run_waits x
       SET status = 'RESOLVED', resolution = $2, resolved_at = clock_timestamp()
     WHERE x.tenant = t AND x.wait_id = $1 AND x.status = 'WAITING';
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM algawf._wake(t, r);
    RETURN true;
END
$$;
COMMENT ON FUNCTION algawf.resume_wait(uuid, jsonb) IS
    'Resolves a wait and queues its run (for the worker: results of external calls are {"ok": true, "output": ...} or {"ok": false, "error": {category, code, message, retryable}}). Returns false when the wait was no longer waiting.';

-- A deferred action call (HTTP/SMTP through the outbox) parks its run on a wait
-- of kind 'action'.  Whoever records the outcome (algawf.complete_invocation,
-- called by the worker) thereby resumes the run: the step gets {ok, output}
-- (the stored, redacted output) or {ok: false, error}.
CREATE FUNCTION algawf._invocation_finished() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w record;
BEGIN
    SELECT x.wait_id, x.run_id INTO w FROM algawf.workflow_run_waits x
     WHERE x.tenant = NEW.tenant AND x.invocation_id = NEW.invocation_id
       AND x.kind = 'action' AND x.status = 'WAITING';
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM algawf.workflow_runs r WHERE r.tenant = NEW.tenant AND r.run_id = w.run_id FOR UPDATE;
    UPDATE algawf.workflow_run_waits x
       SET status = 'RESOLVED', resolved_at = clock_timestamp(),
           resolution = CASE WHEN NEW.status = 'SUCCEEDED'
                             THEN jsonb_build_object('ok', true, 'output', NEW.output)
                             ELSE jsonb_build_object('ok', false, 'error', NEW.error) END
     WHERE x.tenant = NEW.tenant AND x.wait_id = w.wait_id AND x.status = 'WAITING';
    IF FOUND THEN
        PERFORM algawf._wake(NEW.tenant, w.run_id);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION algawf._invocation_finished() IS
    'Trigger: when a DEFERRED action invocation finishes, the run waiting for it resumes.';
REVOKE ALL ON FUNCTION algawf._invocation_finished() FROM PUBLIC;
CREATE TRIGGER resume_waiting_run
    AFTER UPDATE OF status ON algawf.workflow_action_invocations
    FOR EACH ROW WHEN (OLD.status = 'DEFERRED' AND NEW.status IN ('SUCCEEDED', 'FAILED'))
    EXECUTE FUNCTION algawf._invocation_finished();

CREATE FUNCTION algawf.cancel(run_id uuid, reason text DEFAULT NULL) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t     uuid := algawf.require_tenant();
    run   algawf.workflow_runs;
    err   jsonb;
    c     uuid;
BEGIN
    SELECT * INTO run FROM algawf.workflow_runs x WHERE x.tenant = t AND x.run_id = $1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
    IF run.status NOT IN ('RUNNING', 'WAITING') THEN
        RAISE NOTICE 'run % is already %', $1, run.status;
        RETURN false;
    END IF;
    err := jsonb_build_object('category', 'Cancellation', 'code', 'CANCELED',
                              'message', coalesce($2, 'run canceled'),
                              'stepPath', run.current_path, 'retryable', false,
                              'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
    UPDATE algawf.workflow_runs x
       SET status = 'CANCELED', completed_at = clock_timestamp(), runnable_at = NULL,
           lease_owner = NULL, lease_expires_at = NULL, cancel_reason = $2, error = err,
           updated_at = clock_timestamp()
     WHERE x.tenant = t AND x.run_id = $1;
    UPDATE algawf.workflow_run_steps s
       SET status = 'CANCELED', completed_at = clock_timestamp(),
           duration_ms = extract(epoch FROM clock_timestamp() - s.started_at) * 1000
     WHERE s.tenant = t AND s.run_id = $1 AND s.status IN ('RUNNING', 'WAITING');
    UPDATE algawf.workflow_run_waits w
       SET status = 'CANCELED', resolved_at = clock_timestamp()
     WHERE w.tenant = t AND w.run_id = $1 AND w.status = 'WAITING';
    UPDATE algawf.approvals a SET status = 'canceled'
     WHERE a.tenant = t AND a.run_id = $1 AND a.status = 'pending';
    INSERT INTO algawf.workflow_run_logs (tenant, run_id, seq, level, step_path, message, context)
    VALUES (t, $1, run.next_seq, 'WARN', run.current_path, 'Run canceled', err);
    UPDATE algawf.workflow_runs x SET next_seq = next_seq + 1 WHERE x.tenant = t AND x.run_id = $1;

    -- children go with their parent
    FOR c IN SELECT x.run_id FROM algawf.workflow_runs x
              WHERE x.tenant = t AND x.parent_run_id = $1 AND x.status IN ('RUNNING', 'WAITING')
    LOOP
        PERFORM algawf.cancel(c, 'parent run canceled');
    END LOOP;

    -- a parent waiting on this run resumes with the cancellation (it may catch it)
    IF run.parent_run_id IS NOT NULL THEN
        PERFORM 1 FROM algawf.workflow_runs x
         WHERE x.tenant = t AND x.run_id = run.parent_run_id FOR UPDATE;
        UPDATE algawf.workflow_run_waits w
           SET status = 'RESOLVED', resolved_at = clock_timestamp(),
               resolution = jsonb_build_object('status', 'CANCELED', 'runId', $1, 'error', err,
                                               'vars', run.vars, 'payload', run.payload, 'meta', run.meta)
         WHERE w.tenant = t AND w.child_run_id = $1 AND w.kind = 'child' AND w.status = 'WAITING';
        IF FOUND THEN
            PERFORM algawf._wake(t, run.parent_run_id);
        END IF;
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION algawf.cancel(uuid, text) IS
    'Cancels a running or waiting run (and its child runs): status CANCELED, open waits and approvals closed. Returns false (with a notice) when the run had already ended.';

CREATE FUNCTION algawf.retry(run_id uuid, from_failed_step boolean DEFAULT false) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t     uuid := algawf.require_tenant();
    run   algawf.workflow_runs;
    nid   uuid;
BEGIN
    SELECT * INTO run FROM algawf.workflow_runs x WHERE x.tenant = t AND x.run_id = $1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
    IF run.status NOT IN ('FAILED', 'CANCELED') THEN
        RAISE EXCEPTION 'run % is %; only failed or canceled runs can be retried', $1, run.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF from_failed_step THEN
        IF run.status <> 'FAILED' OR run.state->'failed'->'frames' IS NULL THEN
            RAISE EXCEPTION 'run % cannot be resumed from its failed step', $1
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Only runs that failed at a step can; retry it from the start with algawf.retry(run_id).';
        END IF;
        UPDATE algawf.workflow_runs x
           SET status = 'RUNNING', runnable_at = clock_timestamp(), completed_at = NULL, error = NULL,
               started_at = NULL, deadline_at = NULL,
               state = jsonb_build_object('v', 1, 'frames', run.state->'failed'->'frames', 'attempt', 1),
               updated_at = clock_timestamp()
         WHERE x.tenant = t AND x.run_id = $1;
        INSERT INTO algawf.workflow_run_logs (tenant, run_id, seq, level, step_path, message)
        VALUES (t, $1, run.next_seq, 'INFO', run.current_path, 'Run retried from the failed step');
        UPDATE algawf.workflow_runs x SET next_seq = next_seq + 1 WHERE x.tenant = t AND x.run_id = $1;
        RETURN $1;
    END IF;
    nid := gen_random_uuid();
    INSERT INTO algawf.workflow_runs (tenant, run_id, workflow_id, workflow_version, status, runnable_at,
                                      input, payload, trigger_type, trigger_metadata, parent_run_id,
                                      parent_step_path, root_run_id, call_depth, retry_of, actor)
    VALUES (t, nid, run.workflow_id, run.workflow_version, 'RUNNING', clock_timestamp(),
            run.input, run.input, 'retry', run.trigger_metadata, NULL, NULL, nid, 0, $1, run.actor);
    RETURN nid;
END
$$;
COMMENT ON FUNCTION algawf.retry(uuid, boolean) IS
    'Retries a failed or canceled run: by default as a new queued run of the same version with the original payload (returned); with from_failed_step => true the failed run itself resumes at the step that failed, with its data as it was (returns the same id).';

REVOKE ALL ON FUNCTION algawf.run(uuid, jsonb, boolean), algawf.run(text, jsonb, boolean),
    algawf.run_segment(uuid), algawf.run_pending(int), algawf.deliver_event(text, jsonb, text, uuid),
    algawf.resume_wait(uuid, jsonb), algawf.cancel(uuid, text), algawf.retry(uuid, boolean)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.run(uuid, jsonb, boolean), algawf.run(text, jsonb, boolean),
    algawf.run_pending(int), algawf.cancel(uuid, text), algawf.retry(uuid, boolean),
    algawf.deliver_event(text, jsonb, text, uuid)
    TO algawf_operator, algawf_service;
GRANT EXECUTE ON FUNCTION algawf.run_segment(uuid), algawf.resume_wait(uuid, jsonb) TO algawf_service;

CREATE FUNCTION algawf._jv_reencode(value jsonb) RETURNS boolean
    AS 'MODULE_PATHNAME', 'algawf_jv_reencode'
    LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION algawf._jv_reencode(jsonb) IS
    'Test support: whether the engine''s cached jsonb encoder produces exactly PostgreSQL''s bytes for this value.';
