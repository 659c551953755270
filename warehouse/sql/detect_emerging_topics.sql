-- Per brand and topic: mentions in the recent window (the $window_days days ending at
-- $as_of) against the topic's average per window of the same length before it.
-- A topic that did not exist before has an average of 0. Outliers (topic -1) are not a topic.
WITH brand_days AS (
    SELECT brand, day, mentions
    FROM daily_brand_metrics
    WHERE list_contains($brands, brand) AND day <= $as_of
),
topic_days AS (
    SELECT brand, topic_id, topic_label, day, mentions
    FROM topic_daily
    WHERE list_contains($brands, brand) AND topic_id >= 0 AND day <= $as_of
),
windows AS (
    -- how many days each brand was listened to before the recent window
    SELECT
        brand,
        CAST($as_of AS DATE) - ($window_days - 1) AS window_start,
        datediff('day', min(day) FILTER (mentions > 0), CAST($as_of AS DATE) - ($window_days - 1)) AS days_before
    FROM brand_days
    GROUP BY brand
),
per_topic AS (
    SELECT
        t.brand,
        t.topic_id,
        any_value(t.topic_label) AS topic_label,
        w.window_start,
        w.days_before,
        coalesce(sum(t.mentions) FILTER (t.day >= w.window_start), 0) AS recent,
        coalesce(sum(t.mentions) FILTER (t.day < w.window_start), 0) AS before
    FROM topic_days AS t
    JOIN windows AS w USING (brand)
    GROUP BY t.brand, t.topic_id, w.window_start, w.days_before
),
rated AS (
    SELECT
        *,
        CAST(before AS DOUBLE) / (days_before / $window_days) AS usual
    FROM per_topic
    WHERE days_before >= $min_history_days
),
final AS (
    SELECT
        brand,
        topic_id,
        topic_label,
        window_start,
        CAST(recent AS BIGINT) AS recent,
        CAST(before AS BIGINT) AS before,
        usual,
        days_before
    FROM rated
    WHERE recent >= greatest($min_mentions, $ratio * usual)
)
SELECT * FROM final
ORDER BY brand, recent DESC, topic_id;
