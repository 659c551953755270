-- The brand's keyword matches set aside as not about it (off_topic_matches) in the period:
-- how many, and the one scored least about it, to show what was left out.
SELECT count(*) AS matches, arg_min(text, relevance) AS example
FROM off_topic_matches
WHERE brand = $brand AND published_at::DATE BETWEEN $start AND $end;
