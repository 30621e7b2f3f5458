/**
 * The PostgreSQL twin of db/schema.ts: the same tables, columns, defaults,
 * keys and index names, so one set of repositories can serve both databases
 * (test/unit/pg-schema-parity.test.ts keeps the two from drifting). What each
 * column means is documented once, in db/schema.ts; comments here explain only
 * where PostgreSQL needs a different type or expression.
 *
 * Type mapping from SQLite: epoch-millisecond integers → timestamptz(3) read as
 * Date (milliseconds are all a JS Date holds, so precision 3 round-trips
 * exactly); 0/1 integers → boolean; JSON text → jsonb; real → double
 * precision; autoincrement ids → integer identity columns.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import {
  APPOINTMENT_STATUSES,
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
  USER_ROLES,
} from "../../src/domain/vocabulary";

const time = (name: string) => timestamp(name, { withTimezone: true, mode: "date", precision: 3 });
// By default, not always: imports and tests may still insert rows with known ids, as they can in SQLite.
const id = () => integer("id").primaryKey().generatedByDefaultAsIdentity();
const createdAt = () => time("created_at").notNull();
const updatedAt = () => time("updated_at").notNull();

export const leads = pgTable(
  "leads",
  {
    id: id(),
    name: text("name"),
    // Telegram chat ids need up to 52 bits: beyond int4, still exact in a JS number.
    telegram_chat_id: bigint("telegram_chat_id", { mode: "number" }),
    telegram_username: text("telegram_username"),
    phone: text("phone"),
    email: text("email"),
    source: text("source"),
    pipeline_stage: text("pipeline_stage", { enum: PIPELINE_STAGES }).notNull().default("entrada"),
    furthest_stage_rank: integer("furthest_stage_rank").notNull().default(0),
    stage_changed_at: time("stage_changed_at").notNull(),
    last_activity_at: time("last_activity_at").notNull(),
    score: integer("score").notNull().default(0),
    budget_min: doublePrecision("budget_min"),
    budget_max: doublePrecision("budget_max"),
    currency: text("currency").notNull().default("MXN"),
    location: text("location"),
    property_type: text("property_type"),
    bedrooms: integer("bedrooms"),
    purpose: text("purpose", { enum: PURPOSES }),
    timeline: text("timeline"),
    credit_type: text("credit_type", { enum: CREDIT_TYPES }),
    monthly_income: doublePrecision("monthly_income"),
    financially_approved: boolean("financially_approved").notNull().default(false),
    preapproved: boolean("preapproved"),
    down_payment: doublePrecision("down_payment"),
    handoff_at: time("handoff_at"),
    opted_out: boolean("opted_out").notNull().default(false),
    telegram_unreachable_at: time("telegram_unreachable_at"),
    telegram_unreachable_reason: text("telegram_unreachable_reason"),
    whatsapp_id: text("whatsapp_id"),
    whatsapp_last_inbound_at: time("whatsapp_last_inbound_at"),
    whatsapp_unreachable_at: time("whatsapp_unreachable_at"),
    whatsapp_unreachable_reason: text("whatsapp_unreachable_reason"),
    source_detail: jsonb("source_detail").$type<Record<string, string>>(),
    pending_choices: jsonb("pending_choices").$type<{ id: string; label: string }[]>(),
    lost_reason: text("lost_reason"),
    timezone: text("timezone"),
    notes: text("notes"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("leads_stage_changed_idx").on(t.pipeline_stage, t.stage_changed_at, t.id),
    index("leads_stage_activity_idx").on(t.pipeline_stage, t.last_activity_at),
    index("leads_furthest_stage_idx").on(t.furthest_stage_rank),
    index("leads_score_idx").on(t.score),
    // The dashboard's Conversaciones lists the chats a person took over: few rows, so a partial index costs
    // nothing on the writes of every other lead.
    index("leads_handoff_idx").on(t.handoff_at, t.id).where(sql`handoff_at IS NOT NULL`),
    index("leads_activity_idx").on(t.last_activity_at),
    index("leads_updated_idx").on(t.updated_at),
    // PostgreSQL unique indexes already let NULLs repeat; the predicate is kept so the
    // index stays as small as SQLite's and the two schemas read the same.
    uniqueIndex("leads_telegram_chat_id_uq").on(t.telegram_chat_id).where(sql`telegram_chat_id IS NOT NULL`),
    uniqueIndex("leads_whatsapp_id_uq").on(t.whatsapp_id).where(sql`whatsapp_id IS NOT NULL`),
    uniqueIndex("leads_phone_uq").on(t.phone).where(sql`phone IS NOT NULL`),
  ],
);

export const leadStageHistory = pgTable(
  "lead_stage_history",
  {
    id: id(),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    from_stage: text("from_stage", { enum: PIPELINE_STAGES }),
    to_stage: text("to_stage", { enum: PIPELINE_STAGES }).notNull(),
    reason: text("reason"),
    actor: text("actor").notNull(),
    forced: boolean("forced").notNull().default(false),
    at: time("at").notNull(),
  },
  (t) => [index("lead_stage_history_lead_idx").on(t.lead_id, t.at)],
);

export const messages = pgTable(
  "messages",
  {
    id: id(),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    direction: text("direction", { enum: MESSAGE_DIRECTIONS }).notNull(),
    channel: text("channel", { enum: CHANNELS }).notNull(),
    agent_type: text("agent_type"),
    text: text("text").notNull(),
    external_id: text("external_id"),
    status: text("status", { enum: MESSAGE_STATUSES }),
    status_at: time("status_at"),
    error_code: text("error_code"),
    extraction_pending: boolean("extraction_pending").notNull().default(false),
    /** Who wrote an outbound message by hand (`web:<email>` from the dashboard); null for the bot and campaigns. */
    sent_by: text("sent_by"),
    at: time("at").notNull(),
  },
  (t) => [
    index("messages_lead_idx").on(t.lead_id, t.at),
    // SQLite's `= 1`: a boolean column cannot be compared with an integer in PostgreSQL.
    index("messages_extraction_pending_idx").on(t.id).where(sql`extraction_pending = true`),
    index("messages_external_idx").on(t.channel, t.external_id).where(sql`external_id IS NOT NULL`),
    // A message a channel delivers twice (Telegram resending a webhook, Twilio retrying one), on any
    // instance, is stored once: the second insert is skipped and its turn never runs.
    uniqueIndex("messages_inbound_external_unique").on(t.channel, t.external_id).where(sql`direction = 'inbound' AND external_id IS NOT NULL`),
  ],
);

export const messageTemplates = pgTable("message_templates", {
  id: id(),
  name: text("name").notNull(),
  channel: text("channel", { enum: CHANNELS }).notNull(),
  content: text("content").notNull(),
  agent_type: text("agent_type"),
  variables: jsonb("variables").$type<string[]>().notNull(),
  whatsapp_content_sid: text("whatsapp_content_sid"),
  whatsapp_variables: jsonb("whatsapp_variables").$type<string[]>(),
  deleted_at: time("deleted_at"),
  created_at: createdAt(),
  updated_at: updatedAt(),
});

export const campaigns = pgTable(
  "campaigns",
  {
    id: id(),
    name: text("name").notNull(),
    description: text("description"),
    channel: text("channel", { enum: CHANNELS }).notNull(),
    triggered_by: text("triggered_by", { enum: CAMPAIGN_TRIGGERS }).notNull(),
    trigger_condition: jsonb("trigger_condition").$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: CAMPAIGN_STATUSES }).notNull().default("draft"),
    activated_at: time("activated_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("campaigns_status_idx").on(t.status)],
);

export const campaignSteps = pgTable(
  "campaign_steps",
  {
    id: id(),
    campaign_id: integer("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    step_number: integer("step_number").notNull(),
    action: text("action", { enum: CAMPAIGN_STEP_ACTIONS }).notNull(),
    message_template_id: integer("message_template_id").references(() => messageTemplates.id),
    target_stage: text("target_stage", { enum: PIPELINE_STAGES }),
    agent_type: text("agent_type"),
    delay_hours: doublePrecision("delay_hours").notNull().default(0),
    created_at: createdAt(),
  },
  (t) => [
    uniqueIndex("campaign_steps_number_uq").on(t.campaign_id, t.step_number),
    index("campaign_steps_template_idx").on(t.message_template_id),
  ],
);

export const campaignEnrollments = pgTable(
  "campaign_enrollments",
  {
    id: id(),
    campaign_id: integer("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    trigger_key: text("trigger_key").notNull(),
    status: text("status", { enum: ENROLLMENT_STATUSES }).notNull().default("active"),
    next_step_number: integer("next_step_number"),
    next_run_at: time("next_run_at"),
    exit_reason: text("exit_reason"),
    moved_by_own_step: boolean("moved_by_own_step").notNull().default(false),
    enrolled_at: time("enrolled_at").notNull(),
    ended_at: time("ended_at"),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("campaign_enrollments_trigger_uq").on(t.campaign_id, t.lead_id, t.trigger_key),
    index("campaign_enrollments_due_idx").on(t.status, t.next_run_at),
    index("campaign_enrollments_lead_idx").on(t.lead_id),
  ],
);

export const campaignLogs = pgTable(
  "campaign_logs",
  {
    id: id(),
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
    detail: jsonb("detail").$type<Record<string, unknown>>(),
    attempts: integer("attempts").notNull().default(0),
    needs_review: boolean("needs_review").notNull().default(false),
    executed_at: time("executed_at").notNull(),
    finished_at: time("finished_at"),
  },
  (t) => [
    // The exactly-once claim, as in SQLite: NULL enrollment ids never collide in either database.
    uniqueIndex("campaign_logs_claim_uq").on(t.enrollment_id, t.step_number),
    index("campaign_logs_campaign_idx").on(t.campaign_id, t.lead_id),
    index("campaign_logs_status_idx").on(t.status, t.executed_at),
    // A lead's timeline on the dashboard reads its campaign steps newest first.
    index("campaign_logs_lead_idx").on(t.lead_id, t.executed_at),
  ],
);

export const voiceCalls = pgTable(
  "voice_calls",
  {
    id: id(),
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
    extracted: jsonb("extracted").$type<Record<string, unknown>>(),
    started_at: time("started_at"),
    stream_claimed_at: time("stream_claimed_at"),
    ended_at: time("ended_at"),
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

export const callTranscripts = pgTable(
  "call_transcripts",
  {
    id: id(),
    call_id: integer("call_id")
      .notNull()
      .references(() => voiceCalls.id, { onDelete: "cascade" }),
    speaker: text("speaker", { enum: ["agent", "lead"] }).notNull(),
    text: text("text").notNull(),
    offset_ms: integer("offset_ms"),
    item_id: text("item_id"),
    position: integer("position"),
    at: time("at").notNull(),
  },
  (t) => [index("call_transcripts_call_idx").on(t.call_id, t.at)],
);

export const appointments = pgTable(
  "appointments",
  {
    id: id(),
    lead_id: integer("lead_id")
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    starts_at: time("starts_at").notNull(),
    ends_at: time("ends_at").notNull(),
    status: text("status", { enum: APPOINTMENT_STATUSES }).notNull().default("scheduled"),
    meet_link: text("meet_link"),
    calendar_event_id: text("calendar_event_id"),
    calendar_provider: text("calendar_provider"),
    notes: text("notes"),
    reminder_24h_at: time("reminder_24h_at"),
    reminder_1h_at: time("reminder_1h_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("appointments_lead_idx").on(t.lead_id, t.starts_at)],
);

export const auditLogs = pgTable(
  "audit_logs",
  {
    id: id(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    entity: text("entity").notNull(),
    entity_id: integer("entity_id"),
    before: jsonb("before").$type<Record<string, unknown>>(),
    after: jsonb("after").$type<Record<string, unknown>>(),
    at: time("at").notNull(),
  },
  (t) => [index("audit_logs_entity_idx").on(t.entity, t.entity_id, t.at)],
);

export const appState = pgTable("app_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const instanceLeases = pgTable("instance_leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expires_at: time("expires_at").notNull(),
});

export const scheduledRuns = pgTable(
  "scheduled_runs",
  {
    job: text("job").notNull(),
    slot: time("slot").notNull(),
    instance: text("instance").notNull(),
    claimed_at: time("claimed_at").notNull(),
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
export const heldDeliveryReports = pgTable(
  "held_delivery_reports",
  {
    channel: text("channel", { enum: CHANNELS }).notNull(),
    external_id: text("external_id").notNull(),
    status: text("status", { enum: MESSAGE_STATUSES }).notNull(),
    error_code: text("error_code"),
    unreachable: boolean("unreachable").notNull(),
    received_at: time("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.external_id, t.status] }), index("held_delivery_reports_received_idx").on(t.received_at)],
);

export const users = pgTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: USER_ROLES }).notNull(),
    password_hash: text("password_hash").notNull(),
    disabled_at: time("disabled_at"),
    last_sign_in_at: time("last_sign_in_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("users_email_uq").on(t.email)],
);

export const sessions = pgTable(
  "sessions",
  {
    token_hash: text("token_hash").primaryKey(),
    user_id: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    created_at: createdAt(),
    last_seen_at: time("last_seen_at").notNull(),
    expires_at: time("expires_at").notNull(),
    absolute_expires_at: time("absolute_expires_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.user_id), index("sessions_expires_idx").on(t.expires_at)],
);

export const signInFailures = pgTable(
  "sign_in_failures",
  {
    key: text("key").primaryKey(),
    failures: integer("failures").notNull(),
    window_started_at: time("window_started_at").notNull(),
    locked_until: time("locked_until"),
  },
  (t) => [index("sign_in_failures_window_idx").on(t.window_started_at)],
);
