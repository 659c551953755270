-- What a rise was about: per topic, a brand's posts over an event's days ($start to $end)
-- against the same number of days at the topic's usual rate (the $baseline_days before
-- $start). All mentions, or negative ones only ($negative_only). Posts are counted as the
-- daily mart counts them (counted_mentions).
-- Posts without a topic (not yet assigned, or outliers) are topic -1.
WITH posts AS (
    SELECT coalesce(topic_id, -1) AS topic_id, topic_label, published_day AS day
    FROM counted_mentions
    WHERE brand = $brand
        AND published_day BETWEEN CAST($start AS DATE) - CAST($baseline_days AS INTEGER) AND $end
        AND (NOT $negative_only OR sentiment = 'negative')
),
per_topic AS (
    SELECT
        topic_id,
        any_value(topic_label) AS topic_label,
        count(*) FILTER (day >= $start) AS during,
        count(*) FILTER (day < $start) AS before
    FROM posts
    GROUP BY topic_id
),
final AS (
    SELECT
        topic_id,
        topic_label,
        CAST(during AS BIGINT) AS during,
        before * (datediff('day', CAST($start AS DATE), CAST($end AS DATE)) + 1) / $baseline_days AS usual
    FROM per_topic
)
SELECT topic_id, topic_label, during, usual FROM final
ORDER BY during - usual DESC, topic_id;
