-- Cron expressions: syntax, next fire times, time zones and DST.
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;
SET timezone = 'UTC';

-- next n fire times, one line
CREATE FUNCTION pg_temp.fires(expr text, tz text, after timestamptz, n int DEFAULT 5) RETURNS text
    LANGUAGE sql AS $$
    SELECT string_agg(to_char(t AT TIME ZONE tz, 'YYYY-MM-DD Dy HH24:MI') || ' ' ||
                      to_char(t AT TIME ZONE 'UTC', '(HH24:MI"Z")'), ', ' ORDER BY t)
    FROM algawf.cron_preview(expr, tz, after, n) t $$;

-- ---- fields ---------------------------------------------------------------
SELECT pg_temp.fires('* * * * *', 'UTC', '2025-01-01 00:00:30+00', 3);
SELECT pg_temp.fires('*/15 * * * *', 'UTC', '2025-01-01 00:00+00', 5);
SELECT pg_temp.fires('5,10,50-52 * * * *', 'UTC', '2025-01-01 00:00+00', 6);
SELECT pg_temp.fires('0 8-17/3 * * *', 'UTC', '2025-01-01 00:00+00', 5);
SELECT pg_temp.fires('7/20 0 * * *', 'UTC', '2025-01-01 00:00+00', 4);
SELECT pg_temp.fires('0 9 * * mon-fri', 'UTC', '2025-01-03 12:00+00', 5);      -- Fri 3 Jan 2025
SELECT pg_temp.fires('0 9 * * SUN,7', 'UTC', '2025-01-01 00:00+00', 2);        -- 0 and 7 are Sunday
SELECT pg_temp.fires('0 0 1 jan,Jul *', 'UTC', '2025-01-01 00:00+00', 3);
SELECT pg_temp.fires('0 0 31 * *', 'UTC', '2025-01-01 00:00+00', 4);            -- months with 31 days
SELECT pg_temp.fires('0 0 29 2 *', 'UTC', '2025-01-01 00:00+00', 2);            -- leap days
SELECT pg_temp.fires('0 12 13 * fri', 'UTC', '2025-01-01 00:00+00', 4);         -- both day fields: either
SELECT pg_temp.fires('0 12 */10 * fri', 'UTC', '2025-01-01 00:00+00', 4);       -- "*..." day field: both
SELECT pg_temp.fires('@hourly', 'UTC', '2025-01-01 00:30+00', 2);
SELECT pg_temp.fires('@daily', 'UTC', '2025-01-01 00:30+00', 2);
SELECT pg_temp.fires('@weekly', 'UTC', '2025-01-01 00:30+00', 2);
SELECT pg_temp.fires('@monthly', 'UTC', '2025-01-01 00:30+00', 2);
SELECT pg_temp.fires('@yearly', 'UTC', '2025-01-01 00:30+00', 2);
SELECT pg_temp.fires('  0   6  *  *  *  ', 'UTC', '2025-01-01 00:00+00', 1);  -- spaces

-- strictly after
SELECT algawf.cron_next('0 * * * *', 'UTC', '2025-01-01 10:00:00+00') AS next_after_exact,
       algawf.cron_next('0 * * * *', 'UTC', '2025-01-01 09:59:59.999+00') AS next_just_before;

-- never fires
SELECT algawf.cron_next('0 0 30 2 *', 'UTC', '2025-01-01') AS feb_30;
SELECT count(*) FROM algawf.cron_preview('0 0 31 4 *', 'UTC', '2025-01-01', 3);

-- ---- errors ---------------------------------------------------------------
\set VERBOSITY default
SELECT algawf.cron_next('* * * *');
SELECT algawf.cron_next('* * * * * *');
SELECT algawf.cron_next('60 * * * *');
SELECT algawf.cron_next('* 24 * * *');
SELECT algawf.cron_next('* * 0 * *');
SELECT algawf.cron_next('* * * 13 *');
SELECT algawf.cron_next('* * * * 8');
SELECT algawf.cron_next('*/0 * * * *');
SELECT algawf.cron_next('5-1 * * * *');
SELECT algawf.cron_next('* * L * *');
SELECT algawf.cron_next('* * * foo *');
SELECT algawf.cron_next('1,,2 * * * *');
SELECT algawf.cron_next('@fortnightly');
SELECT algawf.cron_next('0 9 * * *', 'Mars/Olympus_Mons');
SELECT algawf.cron_next('', 'UTC');
\set VERBOSITY terse

-- ---- time zones -------------------------------------------------------------
SELECT pg_temp.fires('0 9 * * *', 'Europe/Berlin', '2025-01-01 00:00+00', 2);
SELECT pg_temp.fires('0 9 * * *', 'Asia/Kolkata', '2025-01-01 00:00+00', 2);    -- +05:30
SELECT pg_temp.fires('0 9 * * *', 'Australia/Lord_Howe', '2025-01-01 00:00+00', 1);  -- +11 in summer

-- ---- DST: spring forward (America/New_York, 2025-03-09 02:00 -> 03:00) -----
-- a job in the skipped hour runs once, at the jump
SELECT pg_temp.fires('30 2 * * *', 'America/New_York', '2025-03-07 12:00-05', 4);
-- 02:00 exactly is skipped too: runs at 03:00, once
SELECT pg_temp.fires('0 2 * * *', 'America/New_York', '2025-03-08 12:00-05', 3);
-- jobs at 02:00 and 03:00 both land on 03:00: one run
SELECT pg_temp.fires('0 2,3 * * *', 'America/New_York', '2025-03-09 00:00-05', 3);
-- every-hour jobs follow real time: 01:30 EST then 03:30 EDT, one hour apart
SELECT pg_temp.fires('30 * * * *', 'America/New_York', '2025-03-09 00:00-05', 4);
SELECT pg_temp.fires('*/20 * * * *', 'America/New_York', '2025-03-09 01:00-05', 5);

-- ---- DST: fall back (America/New_York, 2025-11-02 02:00 EDT -> 01:00 EST) ---
-- a job in the repeated hour runs once, at the first 01:30 (EDT)
SELECT pg_temp.fires('30 1 * * *', 'America/New_York', '2025-11-01 12:00-04', 3);
-- ... also when asked from inside the repeated hour
SELECT algawf.cron_next('30 1 * * *', 'America/New_York', '2025-11-02 05:45+00') AS after_first_0130;
SELECT algawf.cron_next('30 1 * * *', 'America/New_York', '2025-11-02 06:10+00') AS from_second_pass;
-- every-hour jobs run in both passes, an hour apart
SELECT pg_temp.fires('30 * * * *', 'America/New_York', '2025-11-02 00:00-04', 4);
SELECT pg_temp.fires('*/30 1 * * *', 'America/New_York', '2025-11-02 00:00-04', 3);

-- Europe/Berlin: 2025-03-30 02:00 -> 03:00, 2025-10-26 03:00 -> 02:00
SELECT pg_temp.fires('30 2 * * *', 'Europe/Berlin', '2025-03-29 00:00+00', 3);
SELECT pg_temp.fires('30 2 * * *', 'Europe/Berlin', '2025-10-25 00:00+00', 3);
SELECT pg_temp.fires('15 * * * *', 'Europe/Berlin', '2025-10-26 00:00+00', 4);

-- every day across a whole year: exactly one fire per local day, DST included
SELECT count(*) AS fires, count(DISTINCT (t AT TIME ZONE 'America/New_York')::date) AS local_days
FROM algawf.cron_preview('30 2 * * *', 'America/New_York', '2025-01-01 00:00-05', 365) t;
SELECT count(*) AS fires, count(DISTINCT (t AT TIME ZONE 'America/New_York')::date) AS local_days
FROM algawf.cron_preview('30 1 * * *', 'America/New_York', '2025-01-01 00:00-05', 365) t;
-- hourly across a year: 8760 real hours
SELECT count(*) AS hourly_fires, min(d), max(d)
FROM (SELECT t - lag(t) OVER (ORDER BY t) AS d
      FROM algawf.cron_preview('0 * * * *', 'America/New_York', '2025-01-01 00:00-05', 8760) t) s;

-- ---- catch-up: the latest slot in (after, upto] -------------------------------
SELECT algawf._cron_latest('0 * * * *', 'UTC', '2025-01-01 00:00+00', '2025-01-01 05:30+00') AS latest_hourly;
SELECT algawf._cron_latest('0 0 1 * *', 'UTC', '2025-01-01 00:00+00', '2025-06-15 00:00+00') AS latest_monthly;
SELECT algawf._cron_latest('* * * * *', 'UTC', '2025-01-01 00:00+00', '2025-03-01 00:00:30+00') AS latest_after_long_outage;
SELECT algawf._cron_latest('0 * * * *', 'UTC', '2025-01-01 00:00+00', '2025-01-01 00:30+00') AS none_due;

-- preview limits
SELECT count(*) FROM algawf.cron_preview('* * * * *', 'UTC', '2025-01-01', 0);
SELECT algawf.cron_preview('* * * * *', 'UTC', '2025-01-01', 10001);
