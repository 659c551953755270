-- A brand's mentions over the days just before the report period (as many as it has), or
-- nothing when the warehouse does not cover all of them: a half-collected period would
-- make any change look dramatic.
WITH metrics AS (
    SELECT brand, day, mentions FROM daily_brand_metrics
),
coverage AS (
    SELECT min(day) AS first_day FROM metrics
),
previous AS (
    SELECT sum(mentions) AS mentions
    FROM metrics
    WHERE brand = $brand AND day BETWEEN $start AND $end
),
final AS (
    SELECT CASE WHEN c.first_day <= $start THEN CAST(coalesce(p.mentions, 0) AS BIGINT) END AS mentions
    FROM coverage AS c, previous AS p
)
SELECT * FROM final;
