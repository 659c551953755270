-- Daily volume and sentiment mix of a brand and its comparison set over the report period,
-- every day present (zeros included) so that lines do not skip quiet days.
WITH spine AS (
    SELECT p.brand, CAST(d.day AS DATE) AS day
    FROM (SELECT unnest($peers) AS brand) AS p
    CROSS JOIN generate_series(CAST($start AS DATE), CAST($end AS DATE), INTERVAL 1 DAY) AS d(day)
),
metrics AS (
    SELECT brand, day, mentions, negative, neutral, positive
    FROM daily_brand_metrics
    WHERE list_contains($peers, brand) AND day BETWEEN $start AND $end
),
final AS (
    SELECT
        s.brand,
        s.day,
        CAST(coalesce(m.mentions, 0) AS BIGINT) AS mentions,
        CAST(coalesce(m.negative, 0) AS BIGINT) AS negative,
        CAST(coalesce(m.neutral, 0) AS BIGINT) AS neutral,
        CAST(coalesce(m.positive, 0) AS BIGINT) AS positive
    FROM spine AS s
    LEFT JOIN metrics AS m USING (brand, day)
)
SELECT * FROM final ORDER BY brand, day;
