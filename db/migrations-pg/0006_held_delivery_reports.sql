CREATE TABLE "held_delivery_reports" (
	"channel" text NOT NULL,
	"external_id" text NOT NULL,
	"status" text NOT NULL,
	"error_code" text,
	"unreachable" boolean NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "held_delivery_reports_channel_external_id_status_pk" PRIMARY KEY("channel","external_id","status")
);
--> statement-breakpoint
CREATE INDEX "held_delivery_reports_received_idx" ON "held_delivery_reports" USING btree ("received_at");