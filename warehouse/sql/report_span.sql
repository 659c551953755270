-- The first and the last day the warehouse has a mention of: what a report period and the
-- period before it can cover.
WITH days AS (
    SELECT CAST(published_at AS DATE) AS day FROM mentions
),
final AS (
    SELECT min(day) AS first_day, max(day) AS last_day FROM days
)
SELECT * FROM final;
