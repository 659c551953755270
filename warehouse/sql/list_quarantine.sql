SELECT source, brand, reason, payload, first_seen_at, last_seen_at, times_seen
FROM quarantine
WHERE $source IS NULL OR source = $source
ORDER BY last_seen_at DESC, quarantine_id
LIMIT $limit;
