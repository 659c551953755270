-- Share of voice of each brand of a comparison set per day or week (`$grain`: 'day' or
-- 'week') of the report period. Weeks are Monday-based; the first and last may be partial,
-- which a share tolerates.
WITH period AS (
    SELECT brand, CAST(date_trunc($grain, day) AS DATE) AS start, mentions
    FROM daily_brand_metrics
    WHERE list_contains($peers, brand) AND day BETWEEN $start AND $end
),
grouped AS (
    SELECT brand, start, sum(mentions) AS mentions
    FROM period
    GROUP BY brand, start
),
final AS (
    SELECT
        brand,
        start,
        CAST(mentions AS BIGINT) AS mentions,
        CASE WHEN sum(mentions) OVER (PARTITION BY start) > 0
             THEN mentions / sum(mentions) OVER (PARTITION BY start) END AS share
    FROM grouped
)
SELECT * FROM final ORDER BY start, brand;
