-- Weekly share of voice of each brand of a comparison set over the report period.
-- Weeks are Monday-based; the first and last may be partial, which a share tolerates.
WITH period AS (
    SELECT brand, CAST(date_trunc('week', day) AS DATE) AS week, mentions
    FROM daily_brand_metrics
    WHERE list_contains($peers, brand) AND day BETWEEN $start AND $end
),
weekly AS (
    SELECT brand, week, sum(mentions) AS mentions
    FROM period
    GROUP BY brand, week
),
final AS (
    SELECT
        brand,
        week,
        CAST(mentions AS BIGINT) AS mentions,
        CASE WHEN sum(mentions) OVER (PARTITION BY week) > 0
             THEN mentions / sum(mentions) OVER (PARTITION BY week) END AS share
    FROM weekly
)
SELECT * FROM final ORDER BY week, brand;
