-- Metrics: the last run of each crontab verb, for the scrape of /api-mdm.php/metrics (and for
-- anyone who wonders whether cron still runs). One row per verb, replaced at the end of each run.
CREATE TABLE cron_runs (
  verb        text PRIMARY KEY CHECK (verb IN ('applesync', 'mdmcron')),
  finished_at timestamptz NOT NULL,
  duration_ms bigint NOT NULL,
  exit_status integer NOT NULL,  -- the verb's own: 0 worked; 1 failed; 3 (mdmcron) only pushes failed
  summary     text NOT NULL      -- its last line, for people; never a metric label
);
