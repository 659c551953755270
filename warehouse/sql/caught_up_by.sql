-- A run of the same flow that started at or after a scheduled run's slot and went to the end
-- has already read everything that late run would read: the late one is skipped (catch-up).
SELECT run_id, started_at
FROM runs
WHERE flow = $flow AND started_at >= $slot AND status IN ('completed', 'partial')
ORDER BY started_at
LIMIT 1;
