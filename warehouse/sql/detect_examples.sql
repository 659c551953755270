-- The posts that show a finding: the most engaged and the most negative mentions of a
-- brand in a period (optionally of one topic). The caller keeps a few of each.
WITH period AS (
    SELECT mention_id, source, text, url, published_at, sentiment, sentiment_score, engagement
    FROM brand_mentions  -- with the sentiment toward this brand
    WHERE brand = $brand
        AND from_brand IS NULL
        AND published_day BETWEEN $start AND $end
        AND ($topic_id IS NULL OR topic_id = $topic_id)
),
most_engaged AS (
    SELECT *, 'most engaged' AS reason
    FROM period
    ORDER BY engagement DESC, published_at, mention_id
    LIMIT $per_reason
),
most_negative AS (
    SELECT *, 'most negative' AS reason
    FROM period
    WHERE sentiment = 'negative'
    ORDER BY sentiment_score, engagement DESC, mention_id
    LIMIT $per_reason
),
final AS (
    SELECT * FROM most_engaged
    UNION ALL
    SELECT * FROM most_negative
)
SELECT mention_id, source, text, url, published_at, sentiment, CAST(engagement AS BIGINT) AS engagement, reason
FROM final;
