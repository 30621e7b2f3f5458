CREATE TABLE `held_delivery_reports` (
	`channel` text NOT NULL,
	`external_id` text NOT NULL,
	`status` text NOT NULL,
	`error_code` text,
	`unreachable` integer NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `external_id`, `status`)
);
--> statement-breakpoint
CREATE INDEX `held_delivery_reports_received_idx` ON `held_delivery_reports` (`received_at`);