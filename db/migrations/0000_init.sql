CREATE TABLE `app_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `appointments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`meet_link` text,
	`calendar_event_id` text,
	`calendar_provider` text,
	`notes` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `appointments_lead_idx` ON `appointments` (`lead_id`,`starts_at`);--> statement-breakpoint
CREATE TABLE `audit_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`entity` text NOT NULL,
	`entity_id` integer,
	`before` text,
	`after` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_logs_entity_idx` ON `audit_logs` (`entity`,`entity_id`,`at`);--> statement-breakpoint
CREATE TABLE `call_transcripts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_id` integer NOT NULL,
	`speaker` text NOT NULL,
	`text` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`call_id`) REFERENCES `voice_calls`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `call_transcripts_call_idx` ON `call_transcripts` (`call_id`,`at`);--> statement-breakpoint
CREATE TABLE `campaign_enrollments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`lead_id` integer NOT NULL,
	`trigger_key` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`next_step_number` integer,
	`next_run_at` integer,
	`exit_reason` text,
	`enrolled_at` integer NOT NULL,
	`ended_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_enrollments_trigger_uq` ON `campaign_enrollments` (`campaign_id`,`lead_id`,`trigger_key`);--> statement-breakpoint
CREATE INDEX `campaign_enrollments_due_idx` ON `campaign_enrollments` (`status`,`next_run_at`);--> statement-breakpoint
CREATE INDEX `campaign_enrollments_lead_idx` ON `campaign_enrollments` (`lead_id`);--> statement-breakpoint
CREATE TABLE `campaign_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`step_id` integer,
	`step_number` integer NOT NULL,
	`action` text NOT NULL,
	`enrollment_id` integer,
	`lead_id` integer NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`detail` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`executed_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`step_id`) REFERENCES `campaign_steps`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`enrollment_id`) REFERENCES `campaign_enrollments`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_logs_claim_uq` ON `campaign_logs` (`enrollment_id`,`step_number`);--> statement-breakpoint
CREATE INDEX `campaign_logs_campaign_idx` ON `campaign_logs` (`campaign_id`,`lead_id`);--> statement-breakpoint
CREATE TABLE `campaign_steps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`step_number` integer NOT NULL,
	`action` text NOT NULL,
	`message_template_id` integer,
	`target_stage` text,
	`agent_type` text,
	`delay_hours` real DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_template_id`) REFERENCES `message_templates`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_steps_number_uq` ON `campaign_steps` (`campaign_id`,`step_number`);--> statement-breakpoint
CREATE INDEX `campaign_steps_template_idx` ON `campaign_steps` (`message_template_id`);--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`channel` text NOT NULL,
	`triggered_by` text NOT NULL,
	`trigger_condition` text NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`activated_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `campaigns_status_idx` ON `campaigns` (`status`);--> statement-breakpoint
CREATE TABLE `lead_stage_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`from_stage` text,
	`to_stage` text NOT NULL,
	`reason` text,
	`actor` text NOT NULL,
	`forced` integer DEFAULT false NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `lead_stage_history_lead_idx` ON `lead_stage_history` (`lead_id`,`at`);--> statement-breakpoint
CREATE TABLE `leads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text,
	`telegram_chat_id` integer,
	`telegram_username` text,
	`phone` text,
	`email` text,
	`source` text,
	`pipeline_stage` text DEFAULT 'entrada' NOT NULL,
	`furthest_stage_rank` integer DEFAULT 0 NOT NULL,
	`stage_changed_at` integer NOT NULL,
	`last_activity_at` integer NOT NULL,
	`score` integer DEFAULT 0 NOT NULL,
	`budget_min` real,
	`budget_max` real,
	`currency` text DEFAULT 'MXN' NOT NULL,
	`location` text,
	`property_type` text,
	`bedrooms` integer,
	`purpose` text,
	`timeline` text,
	`credit_type` text,
	`monthly_income` real,
	`financially_approved` integer DEFAULT false NOT NULL,
	`opted_out` integer DEFAULT false NOT NULL,
	`lost_reason` text,
	`timezone` text,
	`notes` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `leads_stage_changed_idx` ON `leads` (`pipeline_stage`,`stage_changed_at`,`id`);--> statement-breakpoint
CREATE INDEX `leads_stage_activity_idx` ON `leads` (`pipeline_stage`,`last_activity_at`);--> statement-breakpoint
CREATE INDEX `leads_furthest_stage_idx` ON `leads` (`furthest_stage_rank`);--> statement-breakpoint
CREATE UNIQUE INDEX `leads_telegram_chat_id_uq` ON `leads` (`telegram_chat_id`) WHERE telegram_chat_id IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `leads_phone_uq` ON `leads` (`phone`) WHERE phone IS NOT NULL;--> statement-breakpoint
CREATE TABLE `message_templates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`channel` text NOT NULL,
	`content` text NOT NULL,
	`agent_type` text,
	`variables` text NOT NULL,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`direction` text NOT NULL,
	`channel` text NOT NULL,
	`agent_type` text,
	`text` text NOT NULL,
	`external_id` text,
	`at` integer NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `messages_lead_idx` ON `messages` (`lead_id`,`at`);--> statement-breakpoint
CREATE TABLE `voice_calls` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`campaign_id` integer,
	`agent_type` text NOT NULL,
	`direction` text DEFAULT 'outbound' NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`provider` text,
	`provider_call_sid` text,
	`to_number` text,
	`from_number` text,
	`answered_by` text,
	`duration_seconds` integer,
	`failure_reason` text,
	`context` text,
	`summary` text,
	`extracted` text,
	`started_at` integer,
	`ended_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `voice_calls_lead_idx` ON `voice_calls` (`lead_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `voice_calls_sid_uq` ON `voice_calls` (`provider_call_sid`) WHERE provider_call_sid IS NOT NULL;