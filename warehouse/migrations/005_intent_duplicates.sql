-- What kind of post each mention is (complaint, question, praise, ...) and which
-- near-duplicate group it belongs to, so copies and syndication do not inflate volumes.
ALTER TABLE enrichments ADD COLUMN intent VARCHAR;
ALTER TABLE enrichments ADD COLUMN intent_model VARCHAR;
ALTER TABLE enrichments ADD COLUMN duplicate_group VARCHAR;
