-- Is each (mention, brand) keyword match about the brand, or about a niece called Zelia, the
-- "Republican American", orange juice? (models/relevance.py, on the stored embeddings). A match
-- scored under its brand's relevance_threshold is set aside: brand_mentions, and so every
-- count, leaves it out; off_topic_matches lists it. Mentions enriched before have no row and
-- count as before.
CREATE TABLE brand_relevance (
    mention_id VARCHAR   NOT NULL,
    brand      VARCHAR   NOT NULL,
    score      DOUBLE    NOT NULL,
    model      VARCHAR   NOT NULL,
    scored_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (mention_id, brand)
);

ALTER TABLE brand_settings ADD COLUMN relevance_threshold DOUBLE DEFAULT 0;
