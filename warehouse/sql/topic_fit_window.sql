-- The most recent mentions (capped) a topic model is fitted on, with the language detected at enrichment.
SELECT m.mention_id, m.text, v.vector, e.language
FROM mentions AS m
JOIN embeddings AS v ON v.mention_id = m.mention_id AND v.encoder = $encoder
LEFT JOIN enrichments AS e ON e.mention_id = m.mention_id
WHERE m.from_brand IS NULL
ORDER BY m.published_at DESC, m.mention_id
LIMIT $limit;
