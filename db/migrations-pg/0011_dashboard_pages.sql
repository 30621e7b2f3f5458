ALTER TABLE "messages" ADD COLUMN "sent_by" text;--> statement-breakpoint
CREATE INDEX "campaign_logs_lead_idx" ON "campaign_logs" USING btree ("lead_id","executed_at");--> statement-breakpoint
CREATE INDEX "voice_calls_created_idx" ON "voice_calls" USING btree ("created_at");