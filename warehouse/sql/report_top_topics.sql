-- The topics a brand's mentions were most about over the report period, with their tone.
WITH period AS (
    SELECT topic_id, topic_label, sentiment
    FROM brand_mentions  -- with the sentiment toward this brand
    WHERE brand = $brand
        AND from_brand IS NULL
        AND published_day BETWEEN $start AND $end
        AND topic_id >= 0
),
described AS (
    -- one description per topic id: the most recently fitted
    SELECT topic_id, arg_max(label, fitted_at) AS label, arg_max(keywords, fitted_at) AS keywords
    FROM topics
    GROUP BY topic_id
),
counted AS (
    SELECT
        topic_id,
        any_value(topic_label) AS topic_label,
        count(*) AS mentions,
        count(*) FILTER (sentiment = 'negative') AS negative
    FROM period
    GROUP BY topic_id
),
final AS (
    SELECT
        c.topic_id,
        coalesce(d.label, c.topic_label, 'topic ' || c.topic_id) AS label,
        coalesce(d.keywords, []) AS keywords,
        CAST(c.mentions AS BIGINT) AS mentions,
        CAST(c.negative AS BIGINT) AS negative
    FROM counted AS c
    LEFT JOIN described AS d USING (topic_id)
)
SELECT * FROM final
ORDER BY mentions DESC, topic_id
LIMIT $limit;
