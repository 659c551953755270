-- Insert new mentions; a mention seen again keeps its first collection time and text,
-- and only its engagement counts and last-seen time move.
INSERT INTO mentions
SELECT
    mention_id, source, native_id, platform, url, author_key, from_brand, text, content_hash,
    published_at, collected_at, collected_at AS last_seen_at, brands, likes, replies, shares,
    in_reply_to, raw
FROM incoming_mentions
ON CONFLICT (mention_id) DO UPDATE SET
    likes = coalesce(excluded.likes, mentions.likes),
    replies = coalesce(excluded.replies, mentions.replies),
    shares = coalesce(excluded.shares, mentions.shares),
    last_seen_at = greatest(mentions.last_seen_at, excluded.last_seen_at);
