-- How each brand of a comparison set answered public complaints over the report period,
-- with a Messenger-style badge: the share of all complaints answered within a plain time
-- step, the smallest step that covers 90% of the brand's first answers.
WITH peers AS (
    SELECT unnest($peers) AS brand
),
period AS (
    SELECT brand, answered, minutes_to_first_answer
    FROM responsiveness
    WHERE list_contains($peers, brand) AND day BETWEEN $start AND $end
),
steps AS (
    SELECT unnest([5, 15, 30, 60, 120, 240, 480, 720, 1440, 2880, 4320, 10080]) AS minutes
),
measured AS (
    SELECT
        brand,
        count(*) AS complaints,
        count(*) FILTER (answered) AS answered,
        median(minutes_to_first_answer) AS median_minutes,
        quantile_cont(minutes_to_first_answer, 0.9) AS p90_minutes
    FROM period
    GROUP BY brand
),
badged AS (
    -- beyond a week, whole days
    SELECT
        m.*,
        coalesce(
            (SELECT min(s.minutes) FROM steps AS s WHERE s.minutes >= m.p90_minutes),
            1440 * ceil(m.p90_minutes / 1440)
        ) AS badge_minutes
    FROM measured AS m
),
within AS (
    SELECT b.brand, count(p.brand) AS answered_within_badge
    FROM badged AS b
    LEFT JOIN period AS p ON p.brand = b.brand AND p.minutes_to_first_answer <= b.badge_minutes
    GROUP BY b.brand
),
final AS (
    SELECT
        p.brand,
        CAST(coalesce(b.complaints, 0) AS BIGINT) AS complaints,
        CAST(coalesce(b.answered, 0) AS BIGINT) AS answered,
        CASE WHEN b.complaints > 0 THEN b.answered / b.complaints END AS answered_share,
        b.median_minutes,
        b.p90_minutes,
        CAST(b.badge_minutes AS BIGINT) AS badge_minutes,
        CASE WHEN b.complaints > 0 AND b.badge_minutes IS NOT NULL
             THEN w.answered_within_badge / b.complaints END AS answered_within_badge_share
    FROM peers AS p
    LEFT JOIN badged AS b USING (brand)
    LEFT JOIN within AS w USING (brand)
)
SELECT * FROM final ORDER BY brand <> $brand, brand;
