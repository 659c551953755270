-- Remember the alerts a channel delivered; recording one twice changes nothing.
WITH sent AS (
    SELECT unnest($finding_ids::VARCHAR[]) AS finding_id
),

final AS (
    SELECT finding_id, $channel AS channel, now()::TIMESTAMP AS sent_at
    FROM sent
)

INSERT INTO sent_alerts BY NAME
SELECT * FROM final
ON CONFLICT (finding_id, channel) DO NOTHING;
