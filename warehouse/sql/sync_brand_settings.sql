INSERT INTO brand_settings BY NAME
SELECT brand, terms, competitors, languages, relevance_threshold, now()::TIMESTAMP AS updated_at FROM incoming_brands
ON CONFLICT (brand) DO UPDATE SET
    terms = excluded.terms, competitors = excluded.competitors, languages = excluded.languages,
    relevance_threshold = excluded.relevance_threshold, updated_at = excluded.updated_at;
