-- Telegram's message ids count per chat: an inbound Telegram message is now
-- known by "<chat id>:<message id>". Rows stored before this keep their
-- meaning under the new form.
UPDATE `messages` SET `external_id` = (SELECT `telegram_chat_id` FROM `leads` WHERE `leads`.`id` = `messages`.`lead_id`) || ':' || `external_id`
WHERE `channel` = 'telegram' AND `direction` = 'inbound' AND `external_id` IS NOT NULL AND instr(`external_id`, ':') = 0
  AND (SELECT `telegram_chat_id` FROM `leads` WHERE `leads`.`id` = `messages`.`lead_id`) IS NOT NULL;
--> statement-breakpoint
-- A message handled twice before this (a resent webhook) keeps its id on the first copy only.
UPDATE `messages` SET `external_id` = NULL
WHERE `direction` = 'inbound' AND `external_id` IS NOT NULL
  AND `id` NOT IN (SELECT MIN(`id`) FROM `messages` WHERE `direction` = 'inbound' AND `external_id` IS NOT NULL GROUP BY `channel`, `external_id`);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_inbound_external_unique` ON `messages` (`channel`,`external_id`) WHERE direction = 'inbound' AND external_id IS NOT NULL;
