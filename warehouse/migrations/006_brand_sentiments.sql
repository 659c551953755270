-- Sentiment toward each brand of a post that names several ("passé de Norvo à Zelia,
-- tellement mieux": Norvo negative, Zelia positive). A post naming one brand has no row
-- here: its sentiment toward that brand is the post's own (enrichments.sentiment).
CREATE TABLE brand_sentiments (
    mention_id      VARCHAR   NOT NULL,
    brand           VARCHAR   NOT NULL,
    sentiment       VARCHAR   NOT NULL,
    sentiment_score DOUBLE    NOT NULL,
    model           VARCHAR   NOT NULL,
    enriched_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (mention_id, brand)
);
