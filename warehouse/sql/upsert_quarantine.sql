-- Keep every record that failed, once, counting how often it came back.
INSERT INTO quarantine
SELECT quarantine_id, source, brand, reason, payload, seen_at, seen_at, 1
FROM incoming_quarantine
ON CONFLICT (quarantine_id) DO UPDATE SET
    reason = excluded.reason,
    last_seen_at = excluded.last_seen_at,
    times_seen = quarantine.times_seen + 1;
