-- The search text stored in each lead's row, kept by PostgreSQL (a generated
-- column), and the trigram index over it instead of over the expression.
-- A trigram match is a candidate until the row is checked again: with the
-- index on the expression, that check ran prospecta_search_text (unaccent and
-- lower over five fields) once per candidate, about 1,100 times for a search
-- for a common first name at 120,000 leads, twice per request (the page and
-- its count): 2.8 million calls over bench:api's 1,280 searches, half of the
-- count's 12 ms. Reading the stored text costs nothing of the kind. The
-- product never reads or writes the column (db/pg/schema.ts does not name it;
-- pg-migrations.test.ts checks it apart). Adding it rewrites the table once.
ALTER TABLE leads ADD COLUMN search_text text
  GENERATED ALWAYS AS (prospecta_search_text(name, phone, email, telegram_username, location)) STORED;
--> statement-breakpoint
DROP INDEX leads_search_trgm_idx;
--> statement-breakpoint
CREATE INDEX leads_search_trgm_idx ON leads USING gin (search_text gin_trgm_ops);
