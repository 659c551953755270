-- Sources that declare a post's language (Bluesky, Mastodon, some exports) keep it here;
-- the language model's own answer stays in enrichments.language.
ALTER TABLE mentions ADD COLUMN source_language VARCHAR;
