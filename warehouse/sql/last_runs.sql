-- The latest runs, newest first, with what failed in each (for `ecoute status`). A run still
-- 'running' long after it started was killed before it could say how it ended.
SELECT
    run_id,
    flow,
    started_at,
    finished_at,
    status,
    coalesce(CAST(json_extract(stats, '$.failed_sources') AS VARCHAR), '{}') AS failed_sources
FROM runs
ORDER BY started_at DESC
LIMIT $limit;
