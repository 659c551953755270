-- Per brand, topic and day: how much a topic is discussed and how negatively.
CREATE OR REPLACE VIEW topic_daily AS
WITH enriched AS (
    -- per brand, with the sentiment toward it (a comparison is negative for one brand only)
    SELECT * FROM brand_mentions WHERE from_brand IS NULL AND topic_id IS NOT NULL
),
final AS (
    SELECT
        brand,
        topic_id,
        any_value(topic_label) AS topic_label,
        published_day AS day,
        count(*) AS mentions,
        count(*) FILTER (sentiment = 'negative') AS negative
    FROM enriched
    GROUP BY brand, topic_id, published_day
)
SELECT * FROM final ORDER BY brand, topic_id, day;
