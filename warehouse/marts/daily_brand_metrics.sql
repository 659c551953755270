-- Per brand and day: volume, sentiment mix, health and share of voice.
-- Posts by the brand's own accounts are answers, not mentions, so they are left out.
-- Days without a mention are present with zeros, so baselines see the quiet days too.
CREATE OR REPLACE VIEW daily_brand_metrics AS
WITH per_brand AS (
    -- the sentiment toward each brand (brand_mentions): a comparison counts for one, against the other
    SELECT brand, published_day AS day, sentiment, sentiment_score, engagement, duplicate_group
    FROM counted_mentions
),
bounds AS (
    SELECT min(day) AS first_day, max(day) AS last_day FROM per_brand
),
spine AS (
    SELECT b.brand, CAST(d.day AS DATE) AS day
    FROM (SELECT DISTINCT brand FROM per_brand) AS b
    CROSS JOIN bounds
    CROSS JOIN generate_series(bounds.first_day, bounds.last_day, INTERVAL 1 DAY) AS d(day)
),
counted AS (
    SELECT
        brand,
        day,
        count(*) AS mentions,
        count(DISTINCT duplicate_group) AS unique_mentions,
        count(*) FILTER (sentiment = 'negative') AS negative,
        count(*) FILTER (sentiment = 'neutral') AS neutral,
        count(*) FILTER (sentiment = 'positive') AS positive,
        avg(sentiment_score) AS avg_sentiment,
        sum(engagement) AS engagement
    FROM per_brand
    GROUP BY ALL
),
filled AS (
    SELECT
        s.brand,
        s.day,
        coalesce(c.mentions, 0) AS mentions,
        coalesce(c.unique_mentions, 0) AS unique_mentions,
        coalesce(c.negative, 0) AS negative,
        coalesce(c.neutral, 0) AS neutral,
        coalesce(c.positive, 0) AS positive,
        c.avg_sentiment,
        coalesce(c.engagement, 0) AS engagement
    FROM spine AS s
    LEFT JOIN counted AS c USING (brand, day)
),
final AS (
    SELECT
        *,
        CASE WHEN positive + negative > 0 THEN positive / (positive + negative) END AS health,
        CASE WHEN sum(mentions) OVER (PARTITION BY day) > 0
             THEN mentions / sum(mentions) OVER (PARTITION BY day) END AS share_of_voice
    FROM filled
)
SELECT * FROM final ORDER BY brand, day;
