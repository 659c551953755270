-- Alerts already sent, one row per finding and channel: a finding alerts once per channel
-- however often detection runs, and a channel that failed is tried again at the next run.
CREATE TABLE sent_alerts (
    finding_id  VARCHAR   NOT NULL,         -- findings.finding_id
    channel     VARCHAR   NOT NULL,         -- 'email' or 'webhook'
    sent_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (finding_id, channel)
);
