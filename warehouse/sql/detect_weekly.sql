-- A brand's weekly volume, negative mentions and share of voice against its comparison
-- set ($peers, the brand included), in 7-day weeks counted back from $as_of so that the
-- latest week is always whole. Week 0 is the latest; weeks before the data began are left out.
WITH peers_daily AS (
    SELECT brand, day, mentions, negative
    FROM daily_brand_metrics
    WHERE list_contains($peers, brand) AND day <= $as_of
),
bounds AS (
    SELECT CAST($as_of AS DATE) AS as_of, min(day) FILTER (mentions > 0) AS first_day
    FROM peers_daily
),
weekly AS (
    SELECT
        CAST(datediff('day', p.day, b.as_of) // 7 AS INTEGER) AS week,
        sum(p.mentions) FILTER (p.brand = $brand) AS mentions,
        sum(p.negative) FILTER (p.brand = $brand) AS negative,
        sum(p.mentions) AS peer_mentions
    FROM peers_daily AS p
    CROSS JOIN bounds AS b
    WHERE datediff('day', p.day, b.as_of) < 7 * $weeks
    GROUP BY week
),
dated AS (
    SELECT w.*, b.as_of - (7 * w.week + 6) AS week_start, b.as_of - 7 * w.week AS week_end, b.first_day
    FROM weekly AS w
    CROSS JOIN bounds AS b
),
final AS (
    SELECT
        week,
        week_start,
        week_end,
        CAST(coalesce(mentions, 0) AS BIGINT) AS mentions,
        CAST(coalesce(negative, 0) AS BIGINT) AS negative,
        CAST(peer_mentions AS BIGINT) AS peer_mentions
    FROM dated
    -- a partial first week would make its shares noisier than the others
    WHERE week_start >= first_day
)
SELECT * FROM final ORDER BY week DESC;
