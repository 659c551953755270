INSERT INTO runs VALUES ($run_id, $flow, now()::TIMESTAMP, NULL, 'running', NULL)
ON CONFLICT (run_id) DO NOTHING;
