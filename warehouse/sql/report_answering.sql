-- Per brand of a comparison set and day or week (`$grain`: 'day' or 'week', Monday-based)
-- of the report period: public complaints, the share answered and the median time to the
-- first answer. The first and last weeks may be partial; days or weeks without a complaint
-- are absent.
WITH period AS (
    SELECT brand, CAST(date_trunc($grain, day) AS DATE) AS start, answered, minutes_to_first_answer
    FROM responsiveness
    WHERE list_contains($peers, brand) AND day BETWEEN $start AND $end
),
final AS (
    SELECT
        brand,
        start,
        CAST(count(*) AS BIGINT) AS complaints,
        CAST(count(*) FILTER (answered) AS BIGINT) AS answered,
        count(*) FILTER (answered) / count(*) AS answered_share,
        median(minutes_to_first_answer) AS median_minutes
    FROM period
    GROUP BY brand, start
)
SELECT * FROM final ORDER BY brand, start;
