-- The first day each brand was heard (its first mention in the daily mart): the detectors'
-- history starts there, not at the warehouse's first day.
SELECT brand, min(day) FILTER (mentions > 0) AS first_day
FROM daily_brand_metrics
WHERE list_contains($brands, brand)
GROUP BY brand
ORDER BY brand;
