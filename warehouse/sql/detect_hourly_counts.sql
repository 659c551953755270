-- Per brand and hour with posts: mentions and negative mentions, counted as the daily mart
-- counts them (counted_mentions). Hours without a post are not returned: the caller
-- lays the counts on a full hourly grid. Up to the end of $as_of.
WITH per_brand AS (
    SELECT brand, date_trunc('hour', published_at) AS hour, sentiment
    FROM counted_mentions
    WHERE list_contains($brands, brand) AND published_day <= $as_of
),
final AS (
    SELECT
        brand,
        hour,
        CAST(count(*) AS BIGINT) AS mentions,
        CAST(count(*) FILTER (sentiment = 'negative') AS BIGINT) AS negative
    FROM per_brand
    GROUP BY brand, hour
)
SELECT brand, hour, mentions, negative FROM final
ORDER BY brand, hour;
