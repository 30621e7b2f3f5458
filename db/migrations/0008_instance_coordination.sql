CREATE TABLE `instance_leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `scheduled_runs` (
	`job` text NOT NULL,
	`slot` integer NOT NULL,
	`instance` text NOT NULL,
	`claimed_at` integer NOT NULL,
	PRIMARY KEY(`job`, `slot`)
);
