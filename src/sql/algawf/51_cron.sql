-- Cron expressions, computed in C with the zone's rules (DST-correct).
-- See doc/worker.md.

CREATE FUNCTION algawf.cron_next(expr text, timezone text DEFAULT 'UTC', after timestamptz DEFAULT now())
    RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'algawf_cron_next_sql'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION algawf.cron_next(text, text, timestamptz) IS
    'When a cron expression (5 fields, lists, ranges, steps, month/day names, @daily …) next fires after "after", in an IANA time zone; NULL if it never fires. DST: a time skipped by spring-forward fires at the jump, a repeated time fires once (at its first occurrence), every-hour expressions follow real time.';

CREATE FUNCTION algawf.cron_preview(expr text, timezone text DEFAULT 'UTC',
                                    after timestamptz DEFAULT now(), count int DEFAULT 10)
    RETURNS SETOF timestamptz
    AS 'MODULE_PATHNAME', 'algawf_cron_preview'
    LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION algawf.cron_preview(text, text, timestamptz, int) IS
    'The next "count" fire times of a cron expression (at most 10000), for checking an expression before using it.';

CREATE FUNCTION algawf._cron_latest(expr text, timezone text, after timestamptz, upto timestamptz)
    RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'algawf_cron_latest_sql'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION algawf._cron_latest(text, text, timestamptz, timestamptz) IS
    'Internal: the latest fire time in (after, upto] — the one slot a schedule catches up with after downtime.';
