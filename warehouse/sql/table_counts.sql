SELECT 'mentions' AS table_name, count(*) AS row_count FROM mentions
UNION ALL SELECT 'enrichments', count(*) FROM enrichments
UNION ALL SELECT 'embeddings', count(*) FROM embeddings
UNION ALL SELECT 'topics', count(*) FROM topics
UNION ALL SELECT 'findings', count(*) FROM findings
UNION ALL SELECT 'quarantine', count(*) FROM quarantine
ORDER BY table_name;
