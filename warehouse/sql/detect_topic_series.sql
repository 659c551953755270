-- The daily mentions of one or more topics ($topic_ids: an emerging topic and those it was
-- merged with) for a brand over a period, with the quiet days as zeros.
WITH spine AS (
    SELECT CAST(d.day AS DATE) AS day
    FROM generate_series(CAST($start AS DATE), CAST($end AS DATE), INTERVAL 1 DAY) AS d(day)
),
topic AS (
    SELECT day, sum(mentions) AS mentions, sum(negative) AS negative
    FROM topic_daily
    WHERE brand = $brand AND list_contains($topic_ids, topic_id)
    GROUP BY day
),
final AS (
    SELECT
        s.day,
        CAST(coalesce(t.mentions, 0) AS BIGINT) AS mentions,
        CAST(coalesce(t.negative, 0) AS BIGINT) AS negative
    FROM spine AS s
    LEFT JOIN topic AS t USING (day)
)
SELECT * FROM final ORDER BY day;
