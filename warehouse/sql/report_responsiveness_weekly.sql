-- Per brand of a comparison set and week of the report period: public complaints, the
-- share answered and the median time to the first answer. The first and last weeks may
-- be partial; weeks without a complaint are absent.
WITH period AS (
    SELECT brand, week, answered, minutes_to_first_answer
    FROM responsiveness
    WHERE list_contains($peers, brand) AND day BETWEEN $start AND $end
),
final AS (
    SELECT
        brand,
        week,
        CAST(count(*) AS BIGINT) AS complaints,
        CAST(count(*) FILTER (answered) AS BIGINT) AS answered,
        count(*) FILTER (answered) / count(*) AS answered_share,
        median(minutes_to_first_answer) AS median_minutes
    FROM period
    GROUP BY brand, week
)
SELECT * FROM final ORDER BY brand, week;
