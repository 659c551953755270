-- A topic's label and keywords, from the most recent topic model that assigned it.
WITH models AS (
    SELECT DISTINCT topic_model
    FROM enrichments
    WHERE topic_id = $topic_id
),
final AS (
    SELECT t.label, t.keywords, t.fitted_at
    FROM topics AS t
    JOIN models AS m USING (topic_model)
    WHERE t.topic_id = $topic_id
)
SELECT label, keywords FROM final
ORDER BY fitted_at DESC
LIMIT 1;
