-- Mentions with an embedding from this encoder but no topic from the current topic model.
SELECT e.mention_id, m.text, v.vector, e.language
FROM enrichments AS e
JOIN mentions AS m USING (mention_id)
JOIN embeddings AS v ON v.mention_id = e.mention_id AND v.encoder = $encoder
WHERE e.topic_model IS DISTINCT FROM $topic_model
ORDER BY m.published_at, e.mention_id;
