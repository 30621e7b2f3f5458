/**
 * The dashboard's live feed: one poller per instance over the two append-only tables that already
 * record everything a person watching wants to hear about (audit_logs for lead moves, creations and
 * handoffs from every surface and every instance; messages for chats on every channel), so no hot
 * path writes anything more. It polls only while this instance has a subscriber (an open
 * /admin/eventos stream); one poll serves every tab. Events carry ids only, never personal data:
 * the page fetches what it shows through its ordinary, authorized routes.
 *
 * Why polling and not LISTEN/NOTIFY: a NOTIFY takes PostgreSQL's global notify lock at commit, which
 * would serialize every committing writer (campaign sends, chats); it needs a dedicated connection
 * with reconnects; and SQLite processes sharing a file would poll anyway. The cost is a latency of
 * at most pollMs (design §4).
 */
import { latestLiveIds, readAuditAfter, readMessagesAfter, type AuditRowAfterMark, type MessageRowAfterMark } from "../../db/repositories/live-feed-repository";
import type { Database } from "../../db/database";
import type { Clock } from "../clock";
import { advanceLowWater, startingAt, type LowWater, type LowWaterRules } from "../domain/live-cursor";
import type { Logger } from "../logger";

/** `event: leads`: what moved, appeared or changed hands since the last poll. */
export interface LeadsEventData {
  moved: Array<{ lead_id: number; from: string | null; to: string | null; actor: string }>;
  created: number[];
  handoff: Array<{ lead_id: number; on: boolean }>;
}

/** `event: messages`: messages stored since the last poll, on any channel, in either direction. */
export interface MessagesEventData {
  items: Array<{ lead_id: number; id: number; direction: "inbound" | "outbound" }>;
}

export type LiveEvent = { type: "leads"; data: LeadsEventData } | { type: "messages"; data: MessagesEventData };

export type LiveListener = (event: LiveEvent) => void;

export interface LiveFeedDeps {
  db: Database;
  clock: Clock;
  /** How often to read the tables while someone listens (DASHBOARD_LIVE_POLL_MS). */
  pollMs: number;
  log: Logger;
}

/** Rows read per table and poll: more than LowWaterRules.maxHeld, so a read always has room for new ids. */
const READ_LIMIT = 500;

/**
 * On PostgreSQL an id can commit after a higher one (live-cursor.ts): a gap is waited on for 2 s,
 * far longer than the product's transactions last. SQLite commits in id order: no wait.
 */
function rulesFor(db: Database): LowWaterRules {
  return { settleMs: db.dialect === "postgres" ? 2000 : 0, maxHeld: 200 };
}

export function createLiveFeed({ db, clock, pollMs, log }: LiveFeedDeps) {
  const rules = rulesFor(db);
  const listeners = new Set<LiveListener>();
  let marks: { audit: LowWater; messages: LowWater } | null = null;
  // The first subscriber's read of where to start; later subscribers wait on the same one.
  let starting: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> | null = null;
  let stopped = false;

  function emit(event: LiveEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error({ err: error }, "live feed listener failed");
      }
    }
  }

  function leadsEvent(rows: readonly AuditRowAfterMark[]): LeadsEventData {
    const data: LeadsEventData = { moved: [], created: [], handoff: [] };
    for (const row of rows) {
      if (row.entity !== "lead" || row.entity_id === null) continue;
      const leadId = row.entity_id;
      switch (row.action) {
        case "lead.create":
          data.created.push(leadId);
          break;
        case "lead.stage_change":
          data.moved.push({ lead_id: leadId, from: stageOf(row.before), to: stageOf(row.after), actor: row.actor });
          break;
        case "lead.handoff_requested":
        case "lead.handoff_released":
          data.handoff.push({ lead_id: leadId, on: row.action === "lead.handoff_requested" });
          break;
      }
    }
    return data;
  }

  function messagesEvent(rows: readonly MessageRowAfterMark[]): MessagesEventData {
    return { items: rows.map((row) => ({ lead_id: row.lead_id, id: row.id, direction: row.direction })) };
  }

  async function poll(): Promise<void> {
    if (!marks) return;
    const current = marks;
    const { audit, messages } = await db.run(async (q) => ({
      audit: await readAuditAfter(q, current.audit.mark, READ_LIMIT),
      messages: await readMessagesAfter(q, current.messages.mark, READ_LIMIT),
    }));
    const now = clock.now().getTime();
    const auditStep = advanceLowWater(current.audit, audit.map((row) => row.id), now, rules);
    const messagesStep = advanceLowWater(current.messages, messages.map((row) => row.id), now, rules);
    // A subscriber may have left (and the marks been dropped) while the rows were read.
    if (marks !== current) return;
    marks = { audit: auditStep.state, messages: messagesStep.state };
    const freshAudit = new Set(auditStep.fresh);
    const freshMessages = new Set(messagesStep.fresh);
    const leads = leadsEvent(audit.filter((row) => freshAudit.has(row.id)));
    if (leads.moved.length + leads.created.length + leads.handoff.length > 0) emit({ type: "leads", data: leads });
    const written = messagesEvent(messages.filter((row) => freshMessages.has(row.id)));
    if (written.items.length > 0) emit({ type: "messages", data: written });
  }

  function schedule(): void {
    // One poll at a time: a poll in progress schedules the next when it ends.
    if (stopped || listeners.size === 0 || timer || polling) return;
    timer = setTimeout(() => {
      timer = null;
      polling = poll()
        .catch((error: unknown) => log.warn({ err: error }, "live feed poll failed; trying again on the next one"))
        .finally(() => {
          polling = null;
          schedule();
        });
    }, pollMs);
  }

  async function start(): Promise<void> {
    const latest = await db.run((q) => latestLiveIds(q));
    // Everyone left while the ids were read: the next subscriber reads them afresh.
    if (listeners.size > 0) marks = { audit: startingAt(latest.audit), messages: startingAt(latest.messages) };
  }

  return {
    /**
     * Adds a listener; resolves once the feed knows where it starts, so everything committed after
     * that reaches the listener. Returns the function that removes it (the poller stops with the last).
     */
    async subscribe(listener: LiveListener): Promise<() => void> {
      if (stopped) throw new Error("live feed stopped");
      listeners.add(listener);
      if (!marks) {
        starting ??= start().finally(() => {
          starting = null;
        });
        try {
          await starting;
        } catch (error) {
          listeners.delete(listener);
          throw error;
        }
      }
      schedule();
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        // Nobody listens: no more polls, and the next subscriber starts from what is newest then.
        if (timer) clearTimeout(timer);
        timer = null;
        marks = null;
      };
    },
    /** How many listeners this instance has (tests, and the poller's reason to run). */
    listening(): number {
      return listeners.size;
    },
    /** No more polls; waits for one in progress (before the database closes). */
    async stop(): Promise<void> {
      stopped = true;
      listeners.clear();
      if (timer) clearTimeout(timer);
      timer = null;
      marks = null;
      await polling;
    },
  };
}

export type LiveFeed = ReturnType<typeof createLiveFeed>;

function stageOf(value: Record<string, unknown> | null): string | null {
  const stage = value?.pipeline_stage;
  return typeof stage === "string" ? stage : null;
}
