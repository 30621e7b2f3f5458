ALTER TABLE `call_transcripts` ADD `item_id` text;--> statement-breakpoint
ALTER TABLE `call_transcripts` ADD `position` integer;--> statement-breakpoint
ALTER TABLE `voice_calls` ADD `stream_claimed_at` integer;