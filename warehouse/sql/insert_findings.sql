-- Store findings once per stable id (kind, brand, scope, period start). Detecting again
-- refreshes what a finding says (a spike that is still going grows its period) but keeps
-- the moment it was first detected. A spike's kind may change (volume spike to negative surge,
-- as its negative posts come in) and its grain with it.
INSERT INTO findings BY NAME
SELECT
    finding_id, kind, brand, scope, period_start, period_end, observed, baseline, magnitude,
    confidence, headline, grain, CAST(evidence AS JSON) AS evidence, detected_at
FROM incoming_findings
ON CONFLICT (finding_id) DO UPDATE SET
    kind = excluded.kind,
    grain = excluded.grain,
    period_end = excluded.period_end,
    observed = excluded.observed,
    baseline = excluded.baseline,
    magnitude = excluded.magnitude,
    confidence = excluded.confidence,
    headline = excluded.headline,
    evidence = excluded.evidence;
