-- A brand's mentions over the report period by where they were published (the platform,
-- or the source when it names none) and by language, with their sentiment mix. The same
-- mentions as daily_brand_metrics: brand answers and languages outside the brand's
-- settings ('und' aside) are left out, so each breakdown adds up to the report's total. Beyond the
-- `$limit` largest values of a breakdown, the rest is one 'other' row.
WITH period AS (
    SELECT coalesce(platform, source) AS channel, language, sentiment
    FROM brand_mentions  -- with the sentiment toward this brand
    WHERE brand = $brand
        AND from_brand IS NULL
        AND sentiment IS NOT NULL
        AND published_day BETWEEN $start AND $end
),
settings AS (
    SELECT languages FROM brand_settings WHERE brand = $brand
),
kept AS (
    SELECT p.*
    FROM period AS p
    -- a brand configured with languages keeps only those, and posts with no language to read
    -- ('und'); an unconfigured brand keeps all
    WHERE NOT EXISTS (SELECT 1 FROM settings)
        OR list_contains((SELECT languages FROM settings), p.language)
        OR p.language = 'und'
),
slices AS (
    SELECT 'source' AS dimension, channel AS value, sentiment FROM kept
    UNION ALL
    SELECT 'language' AS dimension, coalesce(language, 'und') AS value, sentiment FROM kept
),
counted AS (
    SELECT
        dimension,
        value,
        count(*) AS mentions,
        count(*) FILTER (sentiment = 'negative') AS negative,
        count(*) FILTER (sentiment = 'neutral') AS neutral,
        count(*) FILTER (sentiment = 'positive') AS positive
    FROM slices
    GROUP BY dimension, value
),
ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY dimension ORDER BY mentions DESC, value) AS rank
    FROM counted
),
final AS (
    SELECT
        dimension,
        CASE WHEN rank <= $limit THEN value ELSE 'other' END AS value,
        CAST(sum(mentions) AS BIGINT) AS mentions,
        CAST(sum(negative) AS BIGINT) AS negative,
        CAST(sum(neutral) AS BIGINT) AS neutral,
        CAST(sum(positive) AS BIGINT) AS positive,
        min(rank) AS rank
    FROM ranked
    GROUP BY ALL
)
SELECT dimension, value, mentions, negative, neutral, positive
FROM final
ORDER BY dimension, rank;
