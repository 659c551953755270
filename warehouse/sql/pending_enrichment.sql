-- Mentions that no model has looked at yet, oldest first, with the brands they name.
SELECT m.mention_id, m.text, m.published_at, m.brands
FROM mentions AS m
ANTI JOIN enrichments AS e USING (mention_id)
ORDER BY m.published_at, m.mention_id
LIMIT $limit;
