-- A brand's weekly volume, negative mentions and share of voice against its comparison
-- set ($peers, the brand included), in 7-day weeks counted back from $as_of so that the
-- latest week is always whole. Week 0 is the latest; weeks before the data began are left out.
WITH peers_daily AS (
    SELECT brand, day, mentions, negative
    FROM daily_brand_metrics
    WHERE list_contains($peers, brand) AND day <= $as_of
),
bounds AS (
    SELECT min(day) FILTER (mentions > 0) AS first_day FROM peers_daily
),
weekly AS (
    SELECT
        datediff('day', p.day, CAST($as_of AS DATE)) // 7 AS week,
        sum(p.mentions) FILTER (p.brand = $brand) AS mentions,
        sum(p.negative) FILTER (p.brand = $brand) AS negative,
        sum(p.mentions) AS peer_mentions
    FROM peers_daily AS p, bounds AS b
    WHERE p.day > CAST($as_of AS DATE) - 7 * $weeks
        AND p.day >= b.first_day
    GROUP BY week
),
final AS (
    SELECT
        week,
        CAST($as_of AS DATE) - (7 * week + 6) AS week_start,
        CAST($as_of AS DATE) - 7 * week AS week_end,
        CAST(coalesce(mentions, 0) AS BIGINT) AS mentions,
        CAST(coalesce(negative, 0) AS BIGINT) AS negative,
        CAST(peer_mentions AS BIGINT) AS peer_mentions
    FROM weekly, bounds
    -- a partial first week would make its share noisier than the others
    WHERE CAST($as_of AS DATE) - (7 * week + 6) >= bounds.first_day
)
SELECT * FROM final ORDER BY week DESC;
