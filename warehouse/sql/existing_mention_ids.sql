SELECT mention_id FROM mentions WHERE mention_id IN (SELECT mention_id FROM incoming_mentions);
