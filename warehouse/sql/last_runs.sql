-- The latest runs, newest first, with what failed in each (for `ecoute status`). A killed run
-- reads 'running' until the next run marks it 'interrupted'.
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
