-- One row per mention and brand it names, with the sentiment toward that brand: the post's
-- own, unless the post names several brands and brand_sentiments holds one for this brand.
-- A match the relevance model scored under its brand's threshold is not here (see
-- off_topic_matches). The marts and detectors that count per brand read this view.
CREATE OR REPLACE VIEW brand_mentions AS
WITH per_brand AS (
    SELECT unnest(brands) AS brand, * EXCLUDE (brands) FROM mentions_enriched
)
SELECT
    p.brand,
    p.* EXCLUDE (brand, sentiment, sentiment_score),
    coalesce(s.sentiment, p.sentiment) AS sentiment,
    coalesce(s.sentiment_score, p.sentiment_score) AS sentiment_score,
    p.sentiment AS post_sentiment,
    r.score AS relevance
FROM per_brand AS p
LEFT JOIN brand_sentiments AS s ON s.mention_id = p.mention_id AND s.brand = p.brand
LEFT JOIN brand_relevance AS r ON r.mention_id = p.mention_id AND r.brand = p.brand
LEFT JOIN brand_settings AS b ON b.brand = p.brand
WHERE r.score IS NULL OR r.score >= coalesce(b.relevance_threshold, 0);
