-- Per brand, metric (all mentions, negative mentions) and day: the day's value, a robust
-- baseline from the days before it, and how unusual the day is (a robust z-score).
--
-- The baseline is the median of the previous $baseline_days days, and the spread their
-- median absolute deviation (scaled by 1.4826 to read like a standard deviation), floored
-- at sqrt(median) (Poisson noise) and 1 so that a quiet, flat brand does not alarm on
-- a handful of posts. Day-of-week: once $min_weeks same weekdays precede a day, the
-- baseline is the median of those weekdays instead (a normal Monday is compared with
-- Mondays), while the spread still comes from every recent day, which is steadier.
WITH daily AS (
    SELECT brand, day, mentions, negative
    FROM daily_brand_metrics
    WHERE list_contains($brands, brand) AND day <= $as_of
),
history AS (
    -- a brand's history starts at its first mention, not at the warehouse's first day
    SELECT brand, min(day) FILTER (mentions > 0) AS first_day
    FROM daily
    GROUP BY brand
),
listened AS (
    SELECT d.*, h.first_day
    FROM daily AS d
    JOIN history AS h USING (brand)
    WHERE d.day >= h.first_day
),
per_metric AS (
    SELECT brand, day, first_day, 'mentions' AS metric, mentions AS value, mentions, negative FROM listened
    UNION ALL
    SELECT brand, day, first_day, 'negative' AS metric, negative AS value, mentions, negative FROM listened
),
windows AS (
    -- the mart has one row per brand and day, so a frame of N rows is N days
    SELECT
        *,
        median(value) OVER recent AS recent_median,
        1.4826 * mad(value) OVER recent AS recent_spread,
        median(value) OVER same_weekday AS weekday_median,
        count(*) OVER same_weekday AS weekday_days
    FROM per_metric
    WINDOW
        recent AS (PARTITION BY brand, metric ORDER BY day ROWS BETWEEN $baseline_days PRECEDING AND 1 PRECEDING),
        same_weekday AS (
            PARTITION BY brand, metric, isodow(day) ORDER BY day ROWS BETWEEN $min_weeks PRECEDING AND 1 PRECEDING
        )
),
baselines AS (
    SELECT
        *,
        CASE WHEN weekday_days >= $min_weeks THEN weekday_median ELSE recent_median END AS baseline
    FROM windows
),
scored AS (
    SELECT
        *,
        greatest(recent_spread, sqrt(baseline), 1.0) AS spread,
        datediff('day', first_day, day) AS history_days
    FROM baselines
),
final AS (
    SELECT
        brand,
        metric,
        day,
        CAST(value AS BIGINT) AS value,
        CAST(mentions AS BIGINT) AS mentions,
        CAST(negative AS BIGINT) AS negative,
        baseline,
        spread,
        (value - baseline) / spread AS z,
        history_days,
        coalesce(
            history_days >= $min_history_days
            AND value >= $min_volume
            AND (value - baseline) / spread >= $threshold,
            false
        ) AS flagged
    FROM scored
)
SELECT * FROM final
ORDER BY brand, metric, day;
