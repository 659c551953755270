-- Per complaint: did the brand's official account answer it in public, and how fast.
-- A complaint is a negative post about a brand, not written by the brand, that either opens
-- a thread or replies to one of the brand's own posts, on a channel that shows threads
-- (at least one of its posts is a reply): where replies are invisible, so are answers.
-- The brand's language setting applies as in daily_brand_metrics.
CREATE OR REPLACE VIEW responsiveness AS
WITH enriched AS (
    SELECT * FROM mentions_enriched
),
threaded_channels AS (
    SELECT DISTINCT source, platform FROM enriched WHERE in_reply_to IS NOT NULL
),
brand_posts AS (
    SELECT mention_id, from_brand AS brand, in_reply_to, published_at
    FROM enriched
    WHERE from_brand IS NOT NULL
),
negative_mentions AS (
    -- negative toward this brand (brand_mentions): praising it against a rival is no complaint to it
    SELECT brand, mention_id, source, platform, language, in_reply_to, published_at, published_day
    FROM brand_mentions
    WHERE from_brand IS NULL AND sentiment = 'negative'
),
candidates AS (
    SELECT n.*
    FROM negative_mentions AS n
    JOIN threaded_channels AS t ON t.source = n.source AND t.platform IS NOT DISTINCT FROM n.platform
    LEFT JOIN brand_settings AS b ON b.brand = n.brand
    -- a brand configured with languages keeps only those, and posts with no language to read
    -- ('und'); an unconfigured brand keeps all
    WHERE b.brand IS NULL OR list_contains(b.languages, n.language) OR n.language = 'und'
),
complaints AS (
    -- thread roots, and replies addressed to the brand (their parent is the brand's own post)
    SELECT c.*
    FROM candidates AS c
    LEFT JOIN brand_posts AS parent ON parent.mention_id = c.in_reply_to AND parent.brand = c.brand
    WHERE c.in_reply_to IS NULL OR parent.mention_id IS NOT NULL
),
first_answers AS (
    SELECT in_reply_to AS mention_id, brand, min(published_at) AS first_answer_at, count(*) AS answers
    FROM brand_posts
    WHERE in_reply_to IS NOT NULL
    GROUP BY in_reply_to, brand
),
final AS (
    SELECT
        c.brand,
        c.mention_id,
        c.source,
        c.platform,
        c.language,
        c.published_at,
        c.published_day AS day,
        CAST(date_trunc('week', c.published_day) AS DATE) AS week,
        a.first_answer_at IS NOT NULL AS answered,
        coalesce(a.answers, 0) AS answers,
        a.first_answer_at,
        datediff('second', c.published_at, a.first_answer_at) / 60.0 AS minutes_to_first_answer
    FROM complaints AS c
    LEFT JOIN first_answers AS a ON a.mention_id = c.mention_id AND a.brand = c.brand
)
SELECT * FROM final ORDER BY brand, published_at, mention_id;
