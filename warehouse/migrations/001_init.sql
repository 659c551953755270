-- The raw layer: what sources said, what failed, where each source stopped, what ran.
CREATE TABLE mentions (
    mention_id    VARCHAR PRIMARY KEY,          -- source || ':' || native_id
    source        VARCHAR   NOT NULL,
    native_id     VARCHAR   NOT NULL,
    platform      VARCHAR,
    url           VARCHAR,
    author_key    VARCHAR,
    from_brand    VARCHAR,
    text          VARCHAR   NOT NULL,
    content_hash  VARCHAR   NOT NULL,
    published_at  TIMESTAMP NOT NULL,
    collected_at  TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    brands        VARCHAR[] NOT NULL,
    likes         BIGINT,
    replies       BIGINT,
    shares        BIGINT,
    in_reply_to   VARCHAR,
    raw           JSON,
    UNIQUE (source, native_id)
);
CREATE INDEX mentions_published ON mentions (published_at);
CREATE INDEX mentions_hash ON mentions (content_hash);

CREATE TABLE quarantine (
    quarantine_id VARCHAR PRIMARY KEY,
    source        VARCHAR   NOT NULL,
    brand         VARCHAR,
    reason        VARCHAR   NOT NULL,
    payload       VARCHAR   NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    times_seen    INTEGER   NOT NULL
);

CREATE TABLE watermarks (
    source     VARCHAR   NOT NULL,
    brand      VARCHAR   NOT NULL,
    position   VARCHAR   NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, brand)
);

CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    flow        VARCHAR   NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR   NOT NULL,
    stats       JSON
);

-- The enrichment layer: what the models said about each mention, and which models said it.
CREATE TABLE enrichments (
    mention_id          VARCHAR PRIMARY KEY,
    language            VARCHAR   NOT NULL,
    language_confidence DOUBLE    NOT NULL,
    sentiment           VARCHAR   NOT NULL,
    sentiment_score     DOUBLE    NOT NULL,
    p_negative          DOUBLE    NOT NULL,
    p_neutral           DOUBLE    NOT NULL,
    p_positive          DOUBLE    NOT NULL,
    topic_id            INTEGER,
    topic_probability   DOUBLE,
    language_model      VARCHAR   NOT NULL,
    sentiment_model     VARCHAR   NOT NULL,
    encoder             VARCHAR   NOT NULL,
    topic_model         VARCHAR,
    enriched_at         TIMESTAMP NOT NULL
);

CREATE TABLE embeddings (
    mention_id VARCHAR NOT NULL,
    encoder    VARCHAR NOT NULL,
    vector     FLOAT[] NOT NULL,
    PRIMARY KEY (mention_id, encoder)
);

CREATE TABLE topics (
    topic_model     VARCHAR   NOT NULL,
    topic_id        INTEGER   NOT NULL,
    label           VARCHAR   NOT NULL,
    keywords        VARCHAR[] NOT NULL,
    size            INTEGER   NOT NULL,
    representative  VARCHAR[] NOT NULL,
    fitted_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (topic_model, topic_id)
);

-- What the detectors found, each with its evidence.
CREATE TABLE findings (
    finding_id    VARCHAR PRIMARY KEY,      -- stable hash of kind, brand, scope and period
    kind          VARCHAR   NOT NULL,
    brand         VARCHAR   NOT NULL,
    scope         VARCHAR   NOT NULL,       -- 'brand', 'topic:<id>', ...
    period_start  DATE      NOT NULL,
    period_end    DATE      NOT NULL,
    observed      DOUBLE    NOT NULL,
    baseline      DOUBLE    NOT NULL,
    magnitude     DOUBLE    NOT NULL,
    confidence    DOUBLE    NOT NULL,
    headline      VARCHAR   NOT NULL,
    evidence      JSON      NOT NULL,
    detected_at   TIMESTAMP NOT NULL
);

-- The brands as configured, synced from the settings file at every run, so marts can
-- filter languages and analysts can see what was listened for.
CREATE TABLE brand_settings (
    brand       VARCHAR PRIMARY KEY,
    terms       VARCHAR[] NOT NULL,
    competitors VARCHAR[] NOT NULL,
    languages   VARCHAR[] NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
