INSERT INTO brand_relevance BY NAME
SELECT * FROM incoming_brand_relevance
ON CONFLICT (mention_id, brand) DO NOTHING;
