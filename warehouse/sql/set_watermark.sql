INSERT INTO watermarks VALUES ($source, $brand, $position, now()::TIMESTAMP)
ON CONFLICT (source, brand) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at;
