INSERT INTO topic_map BY NAME
SELECT * FROM incoming_topic_map
ON CONFLICT (old_model, old_topic_id, new_model) DO NOTHING;
