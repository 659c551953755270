-- The keyword matches set aside as not about their brand (relevance score under the brand's
-- relevance_threshold): counted nowhere, kept here to read, and counted again if the
-- threshold is lowered ([[brands]] relevance_threshold; 0 counts every match). Posts by the
-- brands' own accounts are answers, never counted as mentions either way: not listed.
CREATE OR REPLACE VIEW off_topic_matches AS
SELECT
    r.brand,
    m.mention_id,
    m.source,
    m.published_at,
    m.url,
    m.text,
    r.score AS relevance,
    b.relevance_threshold
FROM brand_relevance AS r
JOIN mentions_enriched AS m USING (mention_id)
JOIN brand_settings AS b ON b.brand = r.brand
WHERE r.score < b.relevance_threshold AND m.from_brand IS NULL;
