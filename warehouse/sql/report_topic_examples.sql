-- A few of the most engaged mentions of each of a brand's topics over the report period;
-- `source` is where it was published (the platform, or the source when it names none).
WITH period AS (
    SELECT topic_id, mention_id, coalesce(platform, source) AS source, text, url, published_at, sentiment, engagement
    FROM brand_mentions  -- with the sentiment toward this brand
    WHERE brand = $brand
        AND from_brand IS NULL
        AND published_day BETWEEN $start AND $end
        AND list_contains($topic_ids, topic_id)
),
final AS (
    SELECT *
    FROM period
    QUALIFY row_number() OVER (PARTITION BY topic_id ORDER BY engagement DESC, published_at, mention_id) <= $per_topic
)
SELECT topic_id, mention_id, source, text, url, published_at, sentiment, CAST(engagement AS BIGINT) AS engagement
FROM final
ORDER BY topic_id, engagement DESC, published_at, mention_id;
