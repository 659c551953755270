-- Per brand and hour with posts: mentions and negative mentions, counted as the daily mart
-- counts them (brand answers left out, the brand's languages and 'und' only, the sentiment
-- toward the brand from brand_mentions). Hours without a post are not returned: the caller
-- lays the counts on a full hourly grid. Up to the end of $as_of.
WITH per_brand AS (
    SELECT u.brand, date_trunc('hour', u.published_at) AS hour, u.sentiment
    FROM (
        SELECT brand, published_at, published_day, language, sentiment
        FROM brand_mentions
        WHERE from_brand IS NULL AND sentiment IS NOT NULL AND list_contains($brands, brand)
            AND published_day <= $as_of
    ) AS u
    LEFT JOIN brand_settings AS b USING (brand)
    WHERE b.brand IS NULL OR list_contains(b.languages, u.language) OR u.language = 'und'
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
