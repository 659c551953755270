-- Per brand, topic and day: how much a topic is discussed and how negatively.
CREATE OR REPLACE VIEW topic_daily AS
WITH enriched AS (
    SELECT * FROM mentions_enriched WHERE from_brand IS NULL AND topic_id IS NOT NULL
),
final AS (
    SELECT
        unnest(brands) AS brand,
        topic_id,
        any_value(topic_label) AS topic_label,
        published_day AS day,
        count(*) AS mentions,
        count(*) FILTER (sentiment = 'negative') AS negative
    FROM enriched
    GROUP BY brand, topic_id, published_day
)
SELECT * FROM final ORDER BY brand, topic_id, day;
