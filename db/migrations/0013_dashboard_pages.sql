ALTER TABLE `messages` ADD `sent_by` text;--> statement-breakpoint
CREATE INDEX `campaign_logs_lead_idx` ON `campaign_logs` (`lead_id`,`executed_at`);--> statement-breakpoint
CREATE INDEX `voice_calls_created_idx` ON `voice_calls` (`created_at`);