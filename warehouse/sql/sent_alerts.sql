-- Which of these findings already alerted, and on which channel.
SELECT finding_id, channel
FROM sent_alerts
WHERE list_contains($finding_ids, finding_id);
