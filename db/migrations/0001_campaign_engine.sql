ALTER TABLE `campaign_enrollments` ADD `moved_by_own_step` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaign_logs` ADD `needs_review` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaign_logs` ADD `finished_at` integer;--> statement-breakpoint
CREATE INDEX `campaign_logs_status_idx` ON `campaign_logs` (`status`,`executed_at`);--> statement-breakpoint
ALTER TABLE `leads` ADD `telegram_unreachable_at` integer;--> statement-breakpoint
ALTER TABLE `leads` ADD `telegram_unreachable_reason` text;--> statement-breakpoint
CREATE INDEX `leads_score_idx` ON `leads` (`score`);--> statement-breakpoint
CREATE INDEX `leads_activity_idx` ON `leads` (`last_activity_at`);--> statement-breakpoint
CREATE INDEX `leads_updated_idx` ON `leads` (`updated_at`);