INSERT INTO embeddings BY NAME
SELECT * FROM incoming_embeddings
ON CONFLICT (mention_id, encoder) DO NOTHING;
