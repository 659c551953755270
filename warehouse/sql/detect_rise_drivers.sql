-- What a rise was about: per topic, a brand's posts over an event's days ($start to $end)
-- against the same number of days at the topic's usual rate (the $baseline_days before
-- $start). All mentions, or negative ones only ($negative_only). Posts are counted as the
-- daily mart counts them: brand answers left out, the brand's languages and 'und' only.
-- Posts without a topic (not yet assigned, or outliers) are topic -1.
WITH posts AS (
    SELECT coalesce(u.topic_id, -1) AS topic_id, u.topic_label, u.day
    FROM (
        SELECT brand, topic_id, topic_label, published_day AS day, language, sentiment
        FROM brand_mentions
        WHERE brand = $brand AND from_brand IS NULL AND sentiment IS NOT NULL
            AND published_day BETWEEN CAST($start AS DATE) - CAST($baseline_days AS INTEGER) AND $end
            AND (NOT $negative_only OR sentiment = 'negative')
    ) AS u
    LEFT JOIN brand_settings AS b USING (brand)
    WHERE b.brand IS NULL OR list_contains(b.languages, u.language) OR u.language = 'und'
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
