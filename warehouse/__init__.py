"""The DuckDB warehouse: schema migrations, loads (upserts), SQL marts and the data dictionary."""
