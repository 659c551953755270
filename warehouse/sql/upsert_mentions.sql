-- Insert new mentions; a mention seen again keeps its first collection time and text,
-- and only its engagement counts, brands and last-seen time move.
INSERT INTO mentions BY NAME
SELECT
    mention_id, source, native_id, platform, url, author_key, from_brand, text, content_hash,
    published_at, collected_at, collected_at AS last_seen_at, brands, likes, replies, shares,
    in_reply_to, raw, source_language
FROM incoming_mentions
ON CONFLICT (mention_id) DO UPDATE SET
    likes = coalesce(excluded.likes, mentions.likes),
    replies = coalesce(excluded.replies, mentions.replies),
    shares = coalesce(excluded.shares, mentions.shares),
    -- a brand found later (another brand's search) is added; a repeat leaves the list as it was
    brands = CASE WHEN list_has_all(mentions.brands, excluded.brands) THEN mentions.brands
                  ELSE list_distinct(list_concat(mentions.brands, excluded.brands)) END,
    last_seen_at = greatest(mentions.last_seen_at, excluded.last_seen_at);
