-- A brand's mentions and negative mentions per day over the $days days up to $as_of, from the
-- daily mart (days without a mention are there, with zeros).
SELECT day, CAST(mentions AS BIGINT) AS mentions, CAST(negative AS BIGINT) AS negative
FROM daily_brand_metrics
WHERE brand = $brand AND day <= $as_of AND day > CAST($as_of AS DATE) - CAST($days AS INTEGER)
ORDER BY day;
