-- Lead search (GET /leads?q=) by an index instead of a LIKE scan of every lead:
-- an FTS5 table over the searchable fields, with trigrams so any part of a
-- name, phone or e-mail matches, case and accents ignored ("jose" finds José).
-- It holds no copy of the text (content='leads'); triggers keep it in step,
-- and an update reindexes only when a searchable field changed.
CREATE VIRTUAL TABLE `leads_search` USING fts5(name, phone, email, telegram_username, location, content='leads', content_rowid='id', tokenize='trigram remove_diacritics 1');
--> statement-breakpoint
CREATE TRIGGER `leads_search_insert` AFTER INSERT ON `leads` BEGIN
  INSERT INTO leads_search(rowid, name, phone, email, telegram_username, location) VALUES (new.id, new.name, new.phone, new.email, new.telegram_username, new.location);
END;
--> statement-breakpoint
CREATE TRIGGER `leads_search_delete` AFTER DELETE ON `leads` BEGIN
  INSERT INTO leads_search(leads_search, rowid, name, phone, email, telegram_username, location) VALUES ('delete', old.id, old.name, old.phone, old.email, old.telegram_username, old.location);
END;
--> statement-breakpoint
CREATE TRIGGER `leads_search_update` AFTER UPDATE OF name, phone, email, telegram_username, location ON `leads` BEGIN
  INSERT INTO leads_search(leads_search, rowid, name, phone, email, telegram_username, location) VALUES ('delete', old.id, old.name, old.phone, old.email, old.telegram_username, old.location);
  INSERT INTO leads_search(rowid, name, phone, email, telegram_username, location) VALUES (new.id, new.name, new.phone, new.email, new.telegram_username, new.location);
END;
--> statement-breakpoint
INSERT INTO leads_search(leads_search) VALUES ('rebuild');
