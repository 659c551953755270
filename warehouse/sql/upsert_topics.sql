INSERT INTO topics BY NAME
SELECT * FROM incoming_topic_info
ON CONFLICT (topic_model, topic_id) DO UPDATE SET
    label = excluded.label, keywords = excluded.keywords, size = excluded.size,
    representative = excluded.representative;
