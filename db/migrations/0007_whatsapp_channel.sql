ALTER TABLE `leads` ADD `whatsapp_id` text;--> statement-breakpoint
ALTER TABLE `leads` ADD `whatsapp_last_inbound_at` integer;--> statement-breakpoint
ALTER TABLE `leads` ADD `whatsapp_unreachable_at` integer;--> statement-breakpoint
ALTER TABLE `leads` ADD `whatsapp_unreachable_reason` text;--> statement-breakpoint
ALTER TABLE `leads` ADD `source_detail` text;--> statement-breakpoint
ALTER TABLE `leads` ADD `pending_choices` text;--> statement-breakpoint
CREATE UNIQUE INDEX `leads_whatsapp_id_uq` ON `leads` (`whatsapp_id`) WHERE whatsapp_id IS NOT NULL;--> statement-breakpoint
ALTER TABLE `message_templates` ADD `whatsapp_content_sid` text;--> statement-breakpoint
ALTER TABLE `message_templates` ADD `whatsapp_variables` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `status` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `status_at` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `error_code` text;--> statement-breakpoint
CREATE INDEX `messages_external_idx` ON `messages` (`channel`,`external_id`) WHERE external_id IS NOT NULL;