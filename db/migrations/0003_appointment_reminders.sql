ALTER TABLE `appointments` ADD `reminder_24h_at` integer;--> statement-breakpoint
ALTER TABLE `appointments` ADD `reminder_1h_at` integer;