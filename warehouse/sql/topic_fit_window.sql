-- The most recent mentions (capped) a topic model is fitted on.
SELECT m.mention_id, m.text, v.vector
FROM mentions AS m
JOIN embeddings AS v ON v.mention_id = m.mention_id AND v.encoder = $encoder
WHERE m.from_brand IS NULL
ORDER BY m.published_at DESC, m.mention_id
LIMIT $limit;
