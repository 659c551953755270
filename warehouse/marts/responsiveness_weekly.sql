-- Per brand and week (Monday-based): public complaints, the share the brand answered and
-- how fast its first answers came. Weeks without a complaint are absent.
CREATE OR REPLACE VIEW responsiveness_weekly AS
WITH complaints AS (
    SELECT brand, week, answered, minutes_to_first_answer FROM responsiveness
),
weekly AS (
    SELECT
        brand,
        week,
        count(*) AS complaints,
        count(*) FILTER (answered) AS answered,
        median(minutes_to_first_answer) AS median_minutes_to_first_answer,
        quantile_cont(minutes_to_first_answer, 0.9) AS p90_minutes_to_first_answer
    FROM complaints
    GROUP BY brand, week
),
final AS (
    SELECT
        brand,
        week,
        complaints,
        answered,
        answered / complaints AS answered_share,
        median_minutes_to_first_answer,
        p90_minutes_to_first_answer
    FROM weekly
)
SELECT * FROM final ORDER BY brand, week;
