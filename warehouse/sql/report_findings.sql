-- A brand's stored findings that overlap the report period. Spikes are events, each kept (a
-- volume spike and a negative surge of one event are one finding: one family, 'spike');
-- rolling-window kinds (emerging topics, shifts) are re-detected every day under a new
-- period, so only the latest of each scope is shown.
WITH overlapping AS (
    SELECT *
    FROM findings
    WHERE brand = $brand AND period_end >= $start AND period_start <= $end
),
latest AS (
    SELECT *
    FROM overlapping
    QUALIFY row_number() OVER (
        PARTITION BY
            CASE WHEN kind IN ('volume_spike', 'negative_surge') THEN 'spike' ELSE kind END,
            scope,
            CASE WHEN kind IN ('volume_spike', 'negative_surge') THEN CAST(period_start AS VARCHAR) END
        ORDER BY period_end DESC, detected_at DESC
    ) = 1
),
final AS (
    SELECT
        kind, brand, scope, period_start, period_end, observed, baseline, magnitude, confidence,
        headline, coalesce(grain, 'day') AS grain, CAST(evidence AS VARCHAR) AS evidence
    FROM latest
)
SELECT * FROM final
ORDER BY period_end DESC, confidence DESC, kind, scope;
