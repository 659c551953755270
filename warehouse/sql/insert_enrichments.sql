INSERT INTO enrichments BY NAME
SELECT * FROM incoming_enrichments
ON CONFLICT (mention_id) DO NOTHING;
