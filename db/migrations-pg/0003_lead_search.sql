-- Lead search (GET /leads?q=) by an index instead of a scan of every lead, as
-- SQLite's leads_search (FTS5 trigrams) does: a trigram GIN index over the
-- searchable fields, lower-cased and without accents, so any part of a name,
-- phone or e-mail matches and "jose" finds José. Both extensions ship with
-- PostgreSQL (contrib) and are trusted: the database's owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
-- unaccent() is only STABLE (its dictionary could change), and an index needs
-- an IMMUTABLE expression: this wrapper names the dictionary, which makes it
-- safe to treat as immutable. Fields are joined by a line break, which no
-- search can contain, so a match never spans two fields.
CREATE FUNCTION prospecta_search_text(VARIADIC fields text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(unaccent('unaccent'::regdictionary, array_to_string(fields, E'\n'))) $$;
--> statement-breakpoint
CREATE INDEX leads_search_trgm_idx ON leads
  USING gin (prospecta_search_text(name, phone, email, telegram_username, location) gin_trgm_ops);
