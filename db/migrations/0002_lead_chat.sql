ALTER TABLE `leads` ADD `preapproved` integer;--> statement-breakpoint
ALTER TABLE `leads` ADD `down_payment` real;--> statement-breakpoint
ALTER TABLE `leads` ADD `handoff_at` integer;