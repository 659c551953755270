INSERT INTO brand_sentiments BY NAME
SELECT * FROM incoming_brand_sentiments
ON CONFLICT (mention_id, brand) DO NOTHING;
