UPDATE runs SET finished_at = now()::TIMESTAMP, status = $status, stats = $stats WHERE run_id = $run_id;
