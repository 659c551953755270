-- A brand's totals over the report period, and its share of its comparison set's mentions.
WITH period AS (
    SELECT brand, mentions, negative, neutral, positive
    FROM daily_brand_metrics
    WHERE list_contains($peers, brand) AND day BETWEEN $start AND $end
),
totals AS (
    SELECT
        coalesce(sum(mentions) FILTER (brand = $brand), 0) AS mentions,
        coalesce(sum(negative) FILTER (brand = $brand), 0) AS negative,
        coalesce(sum(neutral) FILTER (brand = $brand), 0) AS neutral,
        coalesce(sum(positive) FILTER (brand = $brand), 0) AS positive,
        coalesce(sum(mentions), 0) AS peer_mentions
    FROM period
),
final AS (
    SELECT
        CAST(mentions AS BIGINT) AS mentions,
        CAST(negative AS BIGINT) AS negative,
        CAST(neutral AS BIGINT) AS neutral,
        CAST(positive AS BIGINT) AS positive,
        CASE WHEN mentions > 0 THEN negative / mentions END AS negative_share,
        CASE WHEN positive + negative > 0 THEN positive / (positive + negative) END AS health,
        CASE WHEN peer_mentions > 0 THEN mentions / peer_mentions END AS share_of_voice
    FROM totals
)
SELECT * FROM final;
