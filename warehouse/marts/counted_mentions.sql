-- The brand mentions every per-brand count is made of (the daily mart, the detectors): posts
-- by the brand's own accounts left out (answers, not mentions), posts not yet enriched left
-- out, and a brand configured with languages keeps only those, and posts with no language to
-- read ('und'); an unconfigured brand keeps all.
CREATE OR REPLACE VIEW counted_mentions AS
SELECT m.*
FROM brand_mentions AS m
LEFT JOIN brand_settings AS b ON b.brand = m.brand
WHERE m.from_brand IS NULL
    AND m.sentiment IS NOT NULL
    AND (b.brand IS NULL OR list_contains(b.languages, m.language) OR m.language = 'und');
