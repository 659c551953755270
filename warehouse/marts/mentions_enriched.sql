-- One row per mention with what the models said about it: the table analysts start from.
CREATE OR REPLACE VIEW mentions_enriched AS
WITH mentions AS (
    SELECT * FROM main.mentions
),
enrichments AS (
    SELECT * FROM main.enrichments
),
topics AS (
    SELECT topic_model, topic_id, label AS topic_label FROM main.topics
),
final AS (
    SELECT
        m.mention_id,
        m.source,
        m.platform,
        m.url,
        m.author_key,
        m.from_brand,
        m.brands,
        m.text,
        m.content_hash,
        m.published_at,
        CAST(m.published_at AS DATE) AS published_day,
        m.likes,
        m.replies,
        m.shares,
        coalesce(m.likes, 0) + coalesce(m.replies, 0) + coalesce(m.shares, 0) AS engagement,
        m.in_reply_to,
        e.language,
        e.sentiment,
        e.sentiment_score,
        e.topic_id,
        t.topic_label,
        e.intent,
        coalesce(e.duplicate_group, m.mention_id) AS duplicate_group,
        e.enriched_at
    FROM mentions AS m
    LEFT JOIN enrichments AS e USING (mention_id)
    LEFT JOIN topics AS t ON t.topic_model = e.topic_model AND t.topic_id = e.topic_id
)
SELECT * FROM final;
