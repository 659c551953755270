-- The topics a brand's mentions were mostly about in a period, most discussed first.
WITH period AS (
    SELECT topic_id, topic_label
    FROM mentions_enriched
    WHERE list_contains(brands, $brand)
        AND from_brand IS NULL
        AND published_day BETWEEN $start AND $end
        AND topic_id >= 0
        AND topic_label IS NOT NULL
),
final AS (
    SELECT topic_id, any_value(topic_label) AS topic_label, count(*) AS mentions
    FROM period
    GROUP BY topic_id
)
SELECT topic_id, topic_label, CAST(mentions AS BIGINT) AS mentions
FROM final
ORDER BY mentions DESC, topic_id
LIMIT $limit;
