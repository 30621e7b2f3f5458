/**
 * The database schema. Property names are snake_case on purpose: they are the
 * field names of the user's guide and of the JSON API, so a row, a domain
 * object and an API body share one vocabulary and need no mapping layer.
 * Times are stored as epoch milliseconds (`timestamp_ms`) so that metrics can
 * do arithmetic on them in SQL.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  CALL_DIRECTIONS,
  CALL_STATUSES,
  CAMPAIGN_STATUSES,
  CAMPAIGN_STEP_ACTIONS,
  CAMPAIGN_TRIGGERS,
  CHANNELS,
  CREDIT_TYPES,
  ENROLLMENT_STATUSES,
  LOG_STATUSES,
  MESSAGE_DIRECTIONS,
  MESSAGE_STATUSES,
  PIPELINE_STAGES,
  PURPOSES,
  APPOINTMENT_STATUSES,
  USER_ROLES,
} from "../src/domain/vocabulary";

const createdAt = () => integer("created_at", { mode: "timestamp_ms" }).notNull();
const updatedAt = () => integer("updated_at", { mode: "timestamp_ms" }).notNull();

export const leads = sqliteTable(
  "leads",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name"),
    telegram_chat_id: integer("telegram_chat_id"),
    telegram_username: text("telegram_username"),
    phone: text("phone"),
    email: text("email"),
    source: text("source"),
    pipeline_stage: text("pipeline_stage", { enum: PIPELINE_STAGES }).notNull().default("entrada"),
    /** Rank of the furthest stage of the main path ever reached; feeds the funnel in one GROUP BY. */
    furthest_stage_rank: integer("furthest_stage_rank").notNull().default(0),
    stage_changed_at: integer("stage_changed_at", { mode: "timestamp_ms" }).notNull(),
    last_activity_at: integer("last_activity_at", { mode: "timestamp_ms" }).notNull(),
    score: integer("score").notNull().default(0),
    budget_min: real("budget_min"),
    budget_max: real("budget_max"),
    currency: text("currency").notNull().default("MXN"),
    location: text("location"),
    property_type: text("property_type"),
    bedrooms: integer("bedrooms"),
    purpose: text("purpose", { enum: PURPOSES }),
    timeline: text("timeline"),
    credit_type: text("credit_type", { enum: CREDIT_TYPES }),
    monthly_income: real("monthly_income"),
    financially_approved: integer("financially_approved", { mode: "boolean" }).notNull().default(false),
    preapproved: integer("preapproved", { mode: "boolean" }),
    down_payment: real("down_payment"),
    /** A person took over the chat (/asesor): the bot stays quiet until an admin releases it. */
    handoff_at: integer("handoff_at", { mode: "timestamp_ms" }),
    opted_out: integer("opted_out", { mode: "boolean" }).notNull().default(false),
    /** Set when Telegram refused delivery for good (bot blocked, chat not found): campaigns stop messaging there. */
    telegram_unreachable_at: integer("telegram_unreachable_at", { mode: "timestamp_ms" }),
    telegram_unreachable_reason: text("telegram_unreachable_reason"),
    /** The lead's WhatsApp id (Twilio's WaId: the number's digits). */
    whatsapp_id: text("whatsapp_id"),
    /** The lead's last message on WhatsApp: free-form messages only within 24 hours of it. */
    whatsapp_last_inbound_at: integer("whatsapp_last_inbound_at", { mode: "timestamp_ms" }),
    whatsapp_unreachable_at: integer("whatsapp_unreachable_at", { mode: "timestamp_ms" }),
    whatsapp_unreachable_reason: text("whatsapp_unreachable_reason"),
    /** Where the lead came from in detail, e.g. the click-to-WhatsApp ad (Twilio's Referral* fields). */
    source_detail: text("source_detail", { mode: "json" }).$type<Record<string, string>>(),
    /** Choices offered in chat and not yet answered (slots), so "1", "el 2" or "el jueves" can pick one. */
    pending_choices: text("pending_choices", { mode: "json" }).$type<{ id: string; label: string }[]>(),
    lost_reason: text("lost_reason"),
    timezone: text("timezone"),
    notes: text("notes"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    // Stage listings and the metrics scan read only this index (covering for count/avg/median).
    index("leads_stage_changed_idx").on(t.pipeline_stage, t.stage_changed_at, t.id),
    index("leads_stage_activity_idx").on(t.pipeline_stage, t.last_activity_at),
    index("leads_furthest_stage_idx").on(t.furthest_stage_rank),
    // Trigger scans: lead_score and inactivity select by these without a table scan.
    index("leads_score_idx").on(t.score),
    // The dashboard's Conversaciones lists the chats a person took over: few rows, so a partial index costs
    // nothing on the writes of every other lead.
    index("leads_handoff_idx").on(t.handoff_at, t.id).where(sql`handoff_at IS NOT NULL`),
    index("leads_activity_idx").on(t.last_activity_at),
    // Incremental scans look only at leads changed since the previous one.
    index("leads_updated_idx").on(t.updated_at),
    uniqueIndex("leads_telegram_chat_id_uq").on(t.telegram_chat_id).where(sql`telegram_chat_id IS NOT NULL`),
    uniqueIndex("leads_whatsapp_id_uq").on(t.whatsapp_id).where(sql`whatsapp_id IS NOT NULL`),
    uniqueIndex("leads_phone_uq").on(t.phone).where(sql`phone IS NOT NULL`),
  ],
);

export const leadStageHistory = sqliteTable(
  "lead_stage_history",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    from_stage: text("from_stage", { enum: PIPELINE_STAGES }),
    to_stage: text("to_stage", { enum: PIPELINE_STAGES }).notNull(),
    reason: text("reason"),
    actor: text("actor").notNull(),
    forced: integer("forced", { mode: "boolean" }).notNull().default(false),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("lead_stage_history_lead_idx").on(t.lead_id, t.at)],
);

export const messages = sqliteTable(
  "messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    direction: text("direction", { enum: MESSAGE_DIRECTIONS }).notNull(),
    channel: text("channel", { enum: CHANNELS }).notNull(),
    agent_type: text("agent_type"),
    text: text("text").notNull(),
    external_id: text("external_id"),
    /** Outbound delivery as the provider reports it; only moves forward. */
    status: text("status", { enum: MESSAGE_STATUSES }),
    status_at: integer("status_at", { mode: "timestamp_ms" }),
    error_code: text("error_code"),
    /** The model could not read this message (error, timeout): its extraction is retried later. */
    extraction_pending: integer("extraction_pending", { mode: "boolean" }).notNull().default(false),
    /** Who wrote an outbound message by hand (`web:<email>` from the dashboard); null for the bot and campaigns. */
    sent_by: text("sent_by"),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("messages_lead_idx").on(t.lead_id, t.at),
    index("messages_extraction_pending_idx").on(t.id).where(sql`extraction_pending = 1`),
    // Status callbacks find their message by the provider's id.
    index("messages_external_idx").on(t.channel, t.external_id).where(sql`external_id IS NOT NULL`),
    // A message a channel delivers twice (Telegram resending a webhook, Twilio retrying one), on any
    // instance, is stored once: the second insert is skipped and its turn never runs.
    uniqueIndex("messages_inbound_external_unique").on(t.channel, t.external_id).where(sql`direction = 'inbound' AND external_id IS NOT NULL`),
  ],
);

export const messageTemplates = sqliteTable("message_templates", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  channel: text("channel", { enum: CHANNELS }).notNull(),
  content: text("content").notNull(),
  agent_type: text("agent_type"),
  variables: text("variables", { mode: "json" }).$type<string[]>().notNull(),
  /** An approved WhatsApp template (Twilio Content SID) for sending outside the 24-hour window. */
  whatsapp_content_sid: text("whatsapp_content_sid"),
  /** The catalogue variables that fill the approved template's {{1}}, {{2}}… in that order. */
  whatsapp_variables: text("whatsapp_variables", { mode: "json" }).$type<string[]>(),
  /** Soft delete: steps of archived campaigns and their logs still point at it. */
  deleted_at: integer("deleted_at", { mode: "timestamp_ms" }),
  created_at: createdAt(),
  updated_at: updatedAt(),
});

export const campaigns = sqliteTable(
  "campaigns",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description"),
    channel: text("channel", { enum: CHANNELS }).notNull(),
    triggered_by: text("triggered_by", { enum: CAMPAIGN_TRIGGERS }).notNull(),
    trigger_condition: text("trigger_condition", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: CAMPAIGN_STATUSES }).notNull().default("draft"),
    activated_at: integer("activated_at", { mode: "timestamp_ms" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("campaigns_status_idx").on(t.status)],
);

export const campaignSteps = sqliteTable(
  "campaign_steps",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaign_id: integer("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    step_number: integer("step_number").notNull(),
    action: text("action", { enum: CAMPAIGN_STEP_ACTIONS }).notNull(),
    message_template_id: integer("message_template_id").references(() => messageTemplates.id),
    target_stage: text("target_stage", { enum: PIPELINE_STAGES }),
    agent_type: text("agent_type"),
    delay_hours: real("delay_hours").notNull().default(0),
    created_at: createdAt(),
  },
  (t) => [
    uniqueIndex("campaign_steps_number_uq").on(t.campaign_id, t.step_number),
    index("campaign_steps_template_idx").on(t.message_template_id),
  ],
);

export const campaignEnrollments = sqliteTable(
  "campaign_enrollments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaign_id: integer("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    /** What made this enrollment unique (e.g. the stage entry time): one enrollment per trigger occurrence. */
    trigger_key: text("trigger_key").notNull(),
    status: text("status", { enum: ENROLLMENT_STATUSES }).notNull().default("active"),
    next_step_number: integer("next_step_number"),
    next_run_at: integer("next_run_at", { mode: "timestamp_ms" }),
    exit_reason: text("exit_reason"),
    /** The campaign's own update_stage step moved the lead: leaving the trigger stage then is no reason to exit. */
    moved_by_own_step: integer("moved_by_own_step", { mode: "boolean" }).notNull().default(false),
    enrolled_at: integer("enrolled_at", { mode: "timestamp_ms" }).notNull(),
    ended_at: integer("ended_at", { mode: "timestamp_ms" }),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("campaign_enrollments_trigger_uq").on(t.campaign_id, t.lead_id, t.trigger_key),
    index("campaign_enrollments_due_idx").on(t.status, t.next_run_at),
    index("campaign_enrollments_lead_idx").on(t.lead_id),
  ],
);

export const campaignLogs = sqliteTable(
  "campaign_logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaign_id: integer("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    step_id: integer("step_id").references(() => campaignSteps.id, { onDelete: "set null" }),
    step_number: integer("step_number").notNull(),
    action: text("action", { enum: CAMPAIGN_STEP_ACTIONS }).notNull(),
    enrollment_id: integer("enrollment_id").references(() => campaignEnrollments.id, { onDelete: "set null" }),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    status: text("status", { enum: LOG_STATUSES }).notNull(),
    error: text("error"),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
    attempts: integer("attempts").notNull().default(0),
    /** An in-flight step whose process died: it may or may not have gone out, so it is never retried. */
    needs_review: integer("needs_review", { mode: "boolean" }).notNull().default(false),
    /** When the step was claimed. */
    executed_at: integer("executed_at", { mode: "timestamp_ms" }).notNull(),
    finished_at: integer("finished_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    // The exactly-once claim: one log row per (enrollment, step), inserted before acting.
    uniqueIndex("campaign_logs_claim_uq").on(t.enrollment_id, t.step_number),
    index("campaign_logs_campaign_idx").on(t.campaign_id, t.lead_id),
    index("campaign_logs_status_idx").on(t.status, t.executed_at),
    // A lead's timeline on the dashboard reads its campaign steps newest first.
    index("campaign_logs_lead_idx").on(t.lead_id, t.executed_at),
  ],
);

export const voiceCalls = sqliteTable(
  "voice_calls",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    campaign_id: integer("campaign_id").references(() => campaigns.id, { onDelete: "set null" }),
    agent_type: text("agent_type").notNull(),
    direction: text("direction", { enum: CALL_DIRECTIONS }).notNull().default("outbound"),
    status: text("status", { enum: CALL_STATUSES }).notNull().default("queued"),
    provider: text("provider"),
    provider_call_sid: text("provider_call_sid"),
    to_number: text("to_number"),
    from_number: text("from_number"),
    answered_by: text("answered_by"),
    duration_seconds: integer("duration_seconds"),
    failure_reason: text("failure_reason"),
    context: text("context"),
    summary: text("summary"),
    extracted: text("extracted", { mode: "json" }).$type<Record<string, unknown>>(),
    started_at: integer("started_at", { mode: "timestamp_ms" }),
    /** When a media stream was accepted for the call: a second stream naming it is refused. */
    stream_claimed_at: integer("stream_claimed_at", { mode: "timestamp_ms" }),
    ended_at: integer("ended_at", { mode: "timestamp_ms" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("voice_calls_lead_idx").on(t.lead_id, t.created_at),
    // Calls per day on the dashboard's Métricas.
    index("voice_calls_created_idx").on(t.created_at),
    uniqueIndex("voice_calls_sid_uq").on(t.provider_call_sid).where(sql`provider_call_sid IS NOT NULL`),
  ],
);

export const callTranscripts = sqliteTable(
  "call_transcripts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    call_id: integer("call_id")
      .notNull()
      .references(() => voiceCalls.id, { onDelete: "cascade" }),
    speaker: text("speaker", { enum: ["agent", "lead"] }).notNull(),
    text: text("text").notNull(),
    /** Milliseconds since the call's audio started. */
    offset_ms: integer("offset_ms"),
    /** The Realtime conversation item the line belongs to (an interrupted agent line is cut to what was heard). */
    item_id: text("item_id"),
    /** Order in which the line was spoken on the call (item order); transcription may finish in another order. */
    position: integer("position"),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("call_transcripts_call_idx").on(t.call_id, t.at)],
);

export const appointments = sqliteTable(
  "appointments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    starts_at: integer("starts_at", { mode: "timestamp_ms" }).notNull(),
    ends_at: integer("ends_at", { mode: "timestamp_ms" }).notNull(),
    status: text("status", { enum: APPOINTMENT_STATUSES }).notNull().default("scheduled"),
    meet_link: text("meet_link"),
    calendar_event_id: text("calendar_event_id"),
    calendar_provider: text("calendar_provider"),
    notes: text("notes"),
    /** When each reminder was claimed for sending: set once, so a reminder never goes twice. */
    reminder_24h_at: integer("reminder_24h_at", { mode: "timestamp_ms" }),
    reminder_1h_at: integer("reminder_1h_at", { mode: "timestamp_ms" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("appointments_lead_idx").on(t.lead_id, t.starts_at)],
);

export const auditLogs = sqliteTable(
  "audit_logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    entity: text("entity").notNull(),
    entity_id: integer("entity_id"),
    before: text("before", { mode: "json" }).$type<Record<string, unknown>>(),
    after: text("after", { mode: "json" }).$type<Record<string, unknown>>(),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("audit_logs_entity_idx").on(t.entity, t.entity_id, t.at)],
);

/** Small key/value store for one-off facts such as "sample data seeded". */
export const appState = sqliteTable("app_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/**
 * Work one instance at a time may do (Telegram long polling: Telegram ends a
 * second poller's request with 409). The holder renews it before expires_at;
 * when a holder dies, another takes the lease once it has expired.
 */
export const instanceLeases = sqliteTable("instance_leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expires_at: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
});

/** Each period of a job that runs once across instances (the campaign scan), claimed by the first instance to reach it. */
export const scheduledRuns = sqliteTable(
  "scheduled_runs",
  {
    job: text("job").notNull(),
    slot: integer("slot", { mode: "timestamp_ms" }).notNull(),
    instance: text("instance").notNull(),
    claimed_at: integer("claimed_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.job, t.slot] })],
);

/**
 * A provider's delivery report that came before we stored the id it names:
 * Twilio may call back before its API answer reaches us, or before we write
 * that answer down. It is applied when a message takes that id; a report
 * that never finds its message (another app on the number) is dropped after
 * a day.
 */
export const heldDeliveryReports = sqliteTable(
  "held_delivery_reports",
  {
    channel: text("channel", { enum: CHANNELS }).notNull(),
    external_id: text("external_id").notNull(),
    status: text("status", { enum: MESSAGE_STATUSES }).notNull(),
    error_code: text("error_code"),
    unreachable: integer("unreachable", { mode: "boolean" }).notNull(),
    received_at: integer("received_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.external_id, t.status] }), index("held_delivery_reports_received_idx").on(t.received_at)],
);

/** People who sign in to the dashboard (/admin). */
export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Trimmed, lower-cased and NFC-normalised (src/domain/accounts.ts), so one person has one account. */
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: USER_ROLES }).notNull(),
    /** Self-describing scrypt hash (src/services/password-hashing.ts); never logged or audited. */
    password_hash: text("password_hash").notNull(),
    disabled_at: integer("disabled_at", { mode: "timestamp_ms" }),
    last_sign_in_at: integer("last_sign_in_at", { mode: "timestamp_ms" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("users_email_uq").on(t.email)],
);

/**
 * A signed-in browser. The cookie holds a random token and only its SHA-256
 * is stored, so a copy of the database opens no session. Deleting the row
 * ends the session on the next request, on every instance.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    token_hash: text("token_hash").primaryKey(),
    user_id: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    created_at: createdAt(),
    /** Written at most every few minutes, not on every request. */
    last_seen_at: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    /** When the session ends for lack of use; never after absolute_expires_at. */
    expires_at: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    absolute_expires_at: integer("absolute_expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.user_id), index("sessions_expires_idx").on(t.expires_at)],
);

/**
 * Failed sign-ins counted per key ("correo:<email>|ip:<ip>" and "ip:<ip>") in
 * a window, shared by every instance (src/domain/sign-in-throttle.ts).
 */
export const signInFailures = sqliteTable(
  "sign_in_failures",
  {
    key: text("key").primaryKey(),
    failures: integer("failures").notNull(),
    window_started_at: integer("window_started_at", { mode: "timestamp_ms" }).notNull(),
    locked_until: integer("locked_until", { mode: "timestamp_ms" }),
  },
  // Rows whose window has ended are deleted on each write through this index.
  (t) => [index("sign_in_failures_window_idx").on(t.window_started_at)],
);

export type Lead = typeof leads.$inferSelect;
export type NewLead = typeof leads.$inferInsert;
export type StageHistoryEntry = typeof leadStageHistory.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type HeldDeliveryReport = typeof heldDeliveryReports.$inferSelect;
export type MessageTemplate = typeof messageTemplates.$inferSelect;
export type Campaign = typeof campaigns.$inferSelect;
export type CampaignStep = typeof campaignSteps.$inferSelect;
export type CampaignLog = typeof campaignLogs.$inferSelect;
export type CampaignEnrollment = typeof campaignEnrollments.$inferSelect;
export type VoiceCall = typeof voiceCalls.$inferSelect;
export type CallTranscript = typeof callTranscripts.$inferSelect;
export type Appointment = typeof appointments.$inferSelect;
export type AuditLog = typeof auditLogs.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;
export type SignInFailure = typeof signInFailures.$inferSelect;
