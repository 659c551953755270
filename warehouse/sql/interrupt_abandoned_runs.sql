-- A run that starts holds the writer lock, so no other run can be going on: any run still
-- 'running' was killed (or its machine stopped) before it could say how it ended.
UPDATE runs SET status = 'interrupted' WHERE status = 'running' AND run_id <> $run_id;
