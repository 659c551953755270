-- How topics of a refitted model relate to the previous model's, so trends stay comparable.
CREATE TABLE topic_map (
    old_model    VARCHAR   NOT NULL,
    old_topic_id INTEGER   NOT NULL,
    new_model    VARCHAR   NOT NULL,
    new_topic_id INTEGER,
    similarity   DOUBLE    NOT NULL,
    mapped_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (old_model, old_topic_id, new_model)
);
