UPDATE enrichments AS e
SET topic_id = a.topic_id, topic_probability = a.topic_probability, topic_model = a.topic_model
FROM incoming_topics AS a
WHERE e.mention_id = a.mention_id;
