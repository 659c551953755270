-- Per brand, metric (all mentions, negative mentions) and day: the day's value, a robust
-- baseline from the days before it, and how unusual the day is (a robust z-score).
--
-- Counts are compared on a variance-stabilised scale, 2·sqrt(x + 3/8) (Anscombe), where
-- Poisson noise has a standard deviation of ~1 whatever the volume. There, the spread is
-- the median absolute deviation of the previous $baseline_days days (x 1.4826, to read like a
-- standard deviation), floored at 1: the floor is the Poisson noise, sqrt(median) on the raw
-- scale, so a quiet, flat brand does not alarm on a handful of posts, and a bursty one is
-- judged by its own burstiness.
-- Day of week: once $min_weeks same weekdays precede a day, the median of up to
-- $weekday_weeks of them is a second baseline, and the higher of the two is used: a brand
-- that is always busy on Mondays is not alarming every Monday, while a quiet weekday is
-- still held to the usual level (a handful of same weekdays is too noisy to lower the bar).
-- The spread comes from every recent day, which is steadier than a handful of weekdays.
-- $set_aside ({brand, topic_id}) and $signatures ({brand, word}) take posts out of a brand's
-- counts: those of its emerging topics and those elsewhere using a topic's signature words
-- (the caller asks whether a rise is more than an emerging story it reports on its own).
-- They are counted as the mart counts them (counted_mentions); words are compared whole,
-- lower-cased and without accents, as in detect_keyword_lift.
WITH posts AS (
    SELECT
        brand,
        published_day AS day,
        sentiment,
        topic_id,
        ' ' || regexp_replace(strip_accents(lower(text)), '[^a-z0-9]+', ' ', 'g') || ' ' AS words
    FROM counted_mentions
    WHERE len($set_aside) > 0 OR len($signatures) > 0
),
set_aside AS (
    SELECT brand, day, count(*) AS mentions, count(*) FILTER (sentiment = 'negative') AS negative
    FROM posts AS p
    WHERE list_contains($set_aside, {'brand': p.brand, 'topic_id': p.topic_id})
        OR len(list_filter($signatures, lambda s: s.brand = p.brand AND contains(p.words, ' ' || s.word || ' '))) > 0
    GROUP BY brand, day
),
daily AS (
    SELECT
        m.brand,
        m.day,
        m.mentions - coalesce(s.mentions, 0) AS mentions,
        m.negative - coalesce(s.negative, 0) AS negative
    FROM daily_brand_metrics AS m
    LEFT JOIN set_aside AS s USING (brand, day)
    WHERE list_contains($brands, m.brand) AND m.day <= $as_of
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
stabilised AS (
    SELECT *, 2 * sqrt(value + 0.375) AS root
    FROM per_metric
),
windows AS (
    -- the mart has one row per brand and day, so a frame of N rows is N days
    SELECT
        *,
        median(value) OVER recent AS recent_median,
        median(root) OVER recent AS recent_root,
        1.4826 * mad(root) OVER recent AS root_spread,
        median(value) OVER same_weekday AS weekday_median,
        median(root) OVER same_weekday AS weekday_root,
        count(*) OVER same_weekday AS weekday_days
    FROM stabilised
    WINDOW
        recent AS (PARTITION BY brand, metric ORDER BY day ROWS BETWEEN $baseline_days PRECEDING AND 1 PRECEDING),
        same_weekday AS (
            PARTITION BY brand, metric, isodow(day) ORDER BY day ROWS BETWEEN $weekday_weeks PRECEDING AND 1 PRECEDING
        )
),
baselines AS (
    SELECT
        *,
        coalesce(weekday_days >= $min_weeks AND weekday_root > recent_root, false) AS by_weekday,
        CASE WHEN by_weekday THEN weekday_median ELSE recent_median END AS baseline,
        CASE WHEN by_weekday THEN weekday_root ELSE recent_root END AS baseline_root,
        greatest(root_spread, 1.0) AS spread,
        datediff('day', first_day, day) AS history_days
    FROM windows
),
scored AS (
    SELECT *, (root - baseline_root) / spread AS z
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
        by_weekday,
        z,
        history_days,
        coalesce(history_days >= $min_history_days AND value >= $min_volume AND z >= $threshold, false) AS flagged
    FROM scored
)
SELECT * FROM final
ORDER BY brand, metric, day;
