-- Findings record the grain they were seen at ('hour', 'day', 'week'), and a volume spike and
-- a negative surge of one event are one finding: their ids hash the family 'spike' instead
-- of the kind (ecoute.core.records.Finding.finding_id).
ALTER TABLE findings ADD COLUMN grain VARCHAR DEFAULT 'day';
UPDATE findings SET grain = 'week' WHERE kind IN ('sentiment_shift', 'share_of_voice_shift');

-- Alerts already sent for a spike keep counting under its new id, so no event alerts twice.
INSERT INTO sent_alerts (finding_id, channel, sent_at)
SELECT
    left(sha256(concat_ws(chr(31), 'spike', f.brand, f.scope, strftime(f.period_start, '%Y-%m-%d'))), 20),
    a.channel,
    min(a.sent_at)
FROM sent_alerts AS a
JOIN findings AS f USING (finding_id)
WHERE f.kind IN ('volume_spike', 'negative_surge')
GROUP BY ALL
ON CONFLICT DO NOTHING;

-- Spike findings under their old ids go: detection reads the whole history at every run
-- and writes them again, one per event, under the new ids.
DELETE FROM findings WHERE kind IN ('volume_spike', 'negative_surge');
