-- Mentions already given a near-duplicate group, published at most $seconds before the
-- newest of them, in the order they were grouped: the rows from which
-- models.duplicates.DuplicateGrouper.build_index rebuilds its index.
WITH grouped AS (
    SELECT m.mention_id, m.published_at, m.text, e.duplicate_group
    FROM enrichments AS e
    JOIN mentions AS m USING (mention_id)
    WHERE e.duplicate_group IS NOT NULL
),
newest AS (
    SELECT max(published_at) AS published_at FROM grouped
),
final AS (
    SELECT g.mention_id, g.published_at, g.text, g.duplicate_group
    FROM grouped AS g
    CROSS JOIN newest AS n
    WHERE g.published_at >= n.published_at - to_seconds(CAST($seconds AS BIGINT))
)
SELECT * FROM final ORDER BY published_at, mention_id;
