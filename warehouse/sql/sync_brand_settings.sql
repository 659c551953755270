INSERT INTO brand_settings BY NAME
SELECT brand, terms, competitors, languages, now()::TIMESTAMP AS updated_at FROM incoming_brands
ON CONFLICT (brand) DO UPDATE SET
    terms = excluded.terms, competitors = excluded.competitors, languages = excluded.languages,
    updated_at = excluded.updated_at;
