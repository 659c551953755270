-- Does one emerging topic tell another's story? For each keyword of the other topic: the
-- share of this topic's posts in the recent window ($topic_id, from $start) that use it,
-- against the share of the brand's posts outside both topics ($pair) up to $as_of.
-- Texts and keywords are compared as whole words, lower-cased, without accents
-- ("Métal" is "metal"), so French and English spellings of a name meet.
WITH posts AS (
    SELECT
        ' ' || regexp_replace(strip_accents(lower(text)), '[^a-z0-9]+', ' ', 'g') || ' ' AS words,
        topic_id = $topic_id AND published_day >= $start AS in_topic,
        list_contains($pair, topic_id) AS in_pair
    FROM mentions_enriched
    WHERE list_contains(brands, $brand) AND from_brand IS NULL AND topic_id IS NOT NULL AND published_day <= $as_of
),
keywords AS (
    SELECT DISTINCT ' ' || trim(regexp_replace(strip_accents(lower(k.keyword)), '[^a-z0-9]+', ' ', 'g')) || ' ' AS keyword
    FROM (SELECT unnest($keywords) AS keyword) AS k
),
final AS (
    SELECT
        trim(k.keyword) AS keyword,
        coalesce(avg(CAST(contains(p.words, k.keyword) AS DOUBLE)) FILTER (p.in_topic), 0) AS share_in_topic,
        coalesce(avg(CAST(contains(p.words, k.keyword) AS DOUBLE)) FILTER (NOT p.in_pair), 0) AS share_elsewhere
    FROM keywords AS k
    CROSS JOIN posts AS p
    WHERE trim(k.keyword) <> ''
    GROUP BY k.keyword
)
SELECT keyword, share_in_topic, share_elsewhere FROM final
ORDER BY share_in_topic DESC, keyword;
