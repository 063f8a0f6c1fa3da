-- Schedules (the engine's algawf.schedules table, one row per workflow with a
-- schedule or recurring trigger, kept in step with the published trigger) and
-- algawf.tick(): schedule firing, lease recovery, retention — and, without
-- executors, due runs — in one call, registered as a pg_cron job when pg_cron
-- is installed.  See doc/worker.md.

ALTER TABLE algawf.schedules
    ADD COLUMN last_run_id uuid,
    ADD COLUMN last_error text;
COMMENT ON COLUMN algawf.schedules.last_run_id IS 'Run started by the last firing (NULL when the slot was skipped: workflow paused).';
COMMENT ON COLUMN algawf.schedules.last_error IS 'Why the last firing failed, if it did (the slot was skipped).';

-- Recurring schedules get their next fire time computed (and their cron
-- expression and time zone checked) whenever they are created, changed or
-- re-enabled without one.
CREATE FUNCTION algawf._schedules_arm() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.kind = 'recurring' THEN
        IF TG_OP = 'INSERT' OR NEW.cron IS DISTINCT FROM OLD.cron OR NEW.timezone IS DISTINCT FROM OLD.timezone
           OR NEW.kind IS DISTINCT FROM OLD.kind THEN
            -- raises invalid_parameter_value for a bad expression or zone
            NEW.next_fire_at := algawf.cron_next(NEW.cron, NEW.timezone, now());
        ELSIF NEW.next_fire_at IS NULL OR (NEW.enabled AND NOT OLD.enabled) THEN
            NEW.next_fire_at := algawf.cron_next(NEW.cron, NEW.timezone, now());
        END IF;
    ELSIF NEW.kind = 'schedule' AND TG_OP = 'INSERT' AND NEW.next_fire_at IS NULL
          AND NEW.last_fire_key IS NULL THEN
        NEW.next_fire_at := NEW.run_at;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION algawf._schedules_arm() IS
    'Internal: computes next_fire_at of recurring schedules (and checks the cron expression and time zone).';

CREATE TRIGGER schedules_arm
    BEFORE INSERT OR UPDATE ON algawf.schedules
    FOR EACH ROW EXECUTE FUNCTION algawf._schedules_arm();

CREATE FUNCTION algawf._start_scheduled_run(tenant uuid, workflow_id uuid, payload jsonb, kind text,
                                            fire_key text, slot timestamptz, schedule_id uuid)
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'algawf_start_scheduled_run'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf._start_scheduled_run(uuid, uuid, jsonb, text, text, timestamptz, uuid) IS
    'Internal: queues the run of a schedule''s fire (trigger_type schedule or recurring, trigger_fire_key = the fire key); NULL when that fire key has a run already.';
REVOKE ALL ON FUNCTION algawf._start_scheduled_run(uuid, uuid, jsonb, text, text, timestamptz, uuid) FROM PUBLIC;

-- Fire one due schedule: the latest slot that is due (older missed slots are
-- skipped: a schedule catches up once after downtime), a run keyed by the
-- fire key so that two processes firing the same slot start one run, then
-- the next slot.  The caller holds the schedule's row lock.
CREATE FUNCTION algawf._fire_schedule(s algawf.schedules) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    slot timestamptz;
    next_at timestamptz;
    fire_key text;
    started uuid;
    paused boolean;
BEGIN
    IF s.kind = 'schedule' THEN
        slot := coalesce(s.run_at, s.next_fire_at);
        next_at := NULL;
    ELSE
        slot := coalesce(algawf._cron_latest(s.cron, s.timezone, s.next_fire_at, now()), s.next_fire_at);
        next_at := algawf.cron_next(s.cron, s.timezone, greatest(slot, now()));
    END IF;
    fire_key := format('schedule:%s:%s', s.schedule_id,
                       to_char(slot AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));

    SELECT d.is_paused INTO paused FROM algawf.workflow_definitions d
     WHERE d.tenant = s.tenant AND d.workflow_id = s.workflow_id;
    IF coalesce(paused, true) THEN
        started := NULL;        -- paused (or gone): this slot is skipped
    ELSE
        BEGIN
            started := algawf._start_scheduled_run(s.tenant, s.workflow_id, s.payload, s.kind, fire_key, slot,
                                                   s.schedule_id);
        EXCEPTION WHEN unique_violation THEN
            started := NULL;    -- another process fired this slot at the same moment
        END;
    END IF;

    UPDATE algawf.schedules
       SET next_fire_at = next_at,
           last_fire_key = fire_key,
           last_fired_at = now(),
           last_run_id = started,
           last_error = NULL,
           updated_at = now()
     WHERE tenant = s.tenant AND schedule_id = s.schedule_id;
    RETURN started IS NOT NULL;
END
$$;
COMMENT ON FUNCTION algawf._fire_schedule(algawf.schedules) IS
    'Internal: fires one due schedule (latest due slot only, idempotent by fire key) and computes its next slot.';
REVOKE ALL ON FUNCTION algawf._fire_schedule(algawf.schedules) FROM PUBLIC;

-- The timer duties.  purge: also apply retention; run_runs: also execute due
-- runs (only when no executor serves this database).
CREATE FUNCTION algawf._tick_duties(purge boolean, run_runs boolean,
    OUT fired int, OUT recovered int, OUT purged int, OUT ran int, OUT more boolean,
    OUT next_purge_at timestamptz)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s algawf.schedules;
    t uuid;
    boot text := algawf._boot_id();
    n int;
    batch constant int := 100;
BEGIN
    fired := 0; recovered := 0; purged := 0; ran := 0; more := false;

    -- 1. schedules
    n := 0;
    FOR s IN SELECT * FROM algawf.schedules
              WHERE enabled AND next_fire_at IS NOT NULL AND next_fire_at <= now()
              ORDER BY next_fire_at LIMIT batch
              FOR UPDATE SKIP LOCKED
    LOOP
        n := n + 1;
        BEGIN
            IF algawf._fire_schedule(s) THEN
                fired := fired + 1;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            -- one broken schedule must not stop the others: skip its slot, keep the message
            UPDATE algawf.schedules
               SET next_fire_at = CASE WHEN kind = 'recurring'
                                       THEN algawf.cron_next(cron, timezone, now()) END,
                   last_error = SQLERRM, updated_at = now()
             WHERE tenant = s.tenant AND schedule_id = s.schedule_id;
            RAISE WARNING 'algawf: schedule % of workflow % could not fire: %', s.schedule_id, s.workflow_id, SQLERRM;
        END;
    END LOOP;
    more := more OR n = batch;

    -- 2. HTTP requests whose sender's lease lapsed (or whose sender belongs to
    --    an earlier server start) go back to the queue; the resend carries the
    --    same Idempotency-Key
    WITH lapsed AS (
        SELECT tenant, request_id FROM algawf.http_requests
         WHERE status = 'sending'
           AND (lease_expires_at < now()
                OR (boot IS NOT NULL AND split_part(lease_owner, ':', 1) IS DISTINCT FROM boot))
         FOR UPDATE SKIP LOCKED)
    UPDATE algawf.http_requests r
       SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now()
      FROM lapsed l
     WHERE r.tenant = l.tenant AND r.request_id = l.request_id;
    GET DIAGNOSTICS recovered = ROW_COUNT;

    --    requests of runs that ended meanwhile (canceled, timed out) are not sent
    UPDATE algawf.http_requests h
       SET status = 'canceled', completed_at = clock_timestamp()
      FROM algawf.workflow_runs r
     WHERE h.status = 'pending' AND r.tenant = h.tenant AND r.run_id = h.run_id
       AND r.completed_at IS NOT NULL;

    -- 3. retention
    IF purge THEN
        purged := algawf._purge_batch(NULL, 1000);
        more := more OR purged >= 1000;
    END IF;
    next_purge_at := algawf._next_purge_at();

    -- 4. without executors, due runs move here (tenant by tenant: run_pending
    --    works for the tenant set in algawf.tenant)
    IF run_runs THEN
        FOR t IN SELECT DISTINCT r.tenant FROM algawf.workflow_runs r
                  WHERE r.status IN ('RUNNING', 'WAITING') AND r.runnable_at <= clock_timestamp()
        LOOP
            PERFORM set_config('algawf.tenant', t::text, true);
            ran := ran + algawf.run_pending(100);
        END LOOP;
        PERFORM set_config('algawf.tenant', '', true);
    END IF;
END
$$;
COMMENT ON FUNCTION algawf._tick_duties(boolean, boolean) IS
    'Internal: the timer duties shared by the executors and algawf.tick().';
REVOKE ALL ON FUNCTION algawf._tick_duties(boolean, boolean) FROM PUBLIC;

CREATE FUNCTION algawf.tick() RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    workers int := algawf._executors_running();
BEGIN
    SELECT * INTO d FROM algawf._tick_duties(true, workers = 0);
    RETURN jsonb_build_object('fired', d.fired, 'recovered', d.recovered, 'purged', d.purged,
                              'ran', d.ran, 'more', d.more, 'executors', workers);
END
$$;
COMMENT ON FUNCTION algawf.tick() IS
    'Fires due schedules (once per slot, latest slot after downtime), returns HTTP requests with lapsed leases to the queue, applies retention and, when no executor serves this database, executes due runs. Safe to call concurrently and from pg_cron (registered as job algawf-tick when pg_cron is installed).';
REVOKE ALL ON FUNCTION algawf.tick() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.tick() TO algawf_service;

CREATE FUNCTION algawf.schedule_tick(schedule text DEFAULT '* * * * *') RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
BEGIN
    IF to_regprocedure('cron.schedule(text,text,text)') IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'undefined_function',
                  HINT = 'CREATE EXTENSION pg_cron (in the database named by cron.database_name), then SELECT algawf.schedule_tick().';
    END IF;
    -- the job removes itself once algawf is dropped
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
      USING 'algawf-tick', schedule,
            'DO $algawf$ BEGIN IF to_regprocedure(''algawf.tick()'') IS NULL THEN '
            'PERFORM cron.unschedule(''algawf-tick''); ELSE PERFORM algawf.tick(); END IF; END $algawf$';
    RETURN job;
END
$$;
COMMENT ON FUNCTION algawf.schedule_tick(text) IS
    'Registers (or re-registers) the pg_cron job "algawf-tick" that calls algawf.tick() (every minute by default); done by CREATE EXTENSION when pg_cron is installed. Returns the job id.';
REVOKE ALL ON FUNCTION algawf.schedule_tick(text) FROM PUBLIC;

DO $$
BEGIN
    IF to_regprocedure('cron.schedule(text,text,text)') IS NOT NULL THEN
        PERFORM algawf.schedule_tick();
    END IF;
END
$$;
