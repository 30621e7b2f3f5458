/** Use cases on a lead's own data: create, read, list, edit. Stage moves live in pipeline-service. */
import {
  findLead,
  findLeadToChange,
  findLeadByPhone,
  findLeadByTelegramChat,
  insertLeads,
  insertStageHistories,
  listLeads,
  listStageHistory,
  readScoreFacts,
  updateLeadRowWithAudits,
  type LeadFilter,
} from "../../db/repositories/leads-repository";
import { insertAudits, type AuditEntry } from "../../db/repositories/audit-repository";
import type { Executor } from "../../db/executor";
import { retryOnUniqueViolation } from "../../db/unique-violation";
import type { Lead, NewLead } from "../../db/schema";
import { ConflictError, NotFoundError, ValidationError, type Problem } from "../errors";
import { stageRank } from "../domain/pipeline";
import { explainLeadScore, newLeadScore, type ScoreLine } from "../domain/scoring";
import { createGroupWriter } from "../group-writer";
import { withRefreshedScore } from "./lead-scoring";
import type { Actor, ServiceDeps } from "./context";

/** The lead fields a person or an agent may set directly (the stage moves through the pipeline). */
export type LeadFields = Partial<
  Pick<
    NewLead,
    | "name"
    | "telegram_chat_id"
    | "telegram_username"
    | "whatsapp_id"
    | "source_detail"
    | "phone"
    | "email"
    | "source"
    | "budget_min"
    | "budget_max"
    | "currency"
    | "location"
    | "property_type"
    | "bedrooms"
    | "purpose"
    | "timeline"
    | "credit_type"
    | "monthly_income"
    | "financially_approved"
    | "preapproved"
    | "down_payment"
    | "opted_out"
    | "lost_reason"
    | "timezone"
    | "notes"
  >
>;

interface NewLeadRequest {
  fields: LeadFields;
  actor: Actor;
}

export function createLeadService({ db, clock, events }: ServiceDeps) {
  async function requireLead(tx: Executor, id: number): Promise<Lead> {
    const lead = await findLead(tx, id);
    if (!lead) throw new NotFoundError("un lead", id);
    return lead;
  }

  /** Writes new leads in one transaction, each with its history row, its audit entry and its enrollments. */
  function writeNewLeads(requests: readonly NewLeadRequest[], attempt: "first" | "after_violation"): Promise<Lead[]> {
    return db.transaction(async (tx) => {
      const now = clock.now();
      // The unique indexes on phone and chat refuse a duplicate; only then does the second run
      // look for the lead that has them, to name it in the 409.
      if (attempt === "after_violation") for (const { fields } of requests) await assertUniqueContact(tx, fields, null);
      const leads = await insertLeads(
        tx,
        requests.map(({ fields }) => ({
          ...fields,
          score: newLeadScore(fields),
          pipeline_stage: "entrada",
          furthest_stage_rank: stageRank("entrada"),
          stage_changed_at: now,
          last_activity_at: now,
          created_at: now,
          updated_at: now,
        })),
      );
      const entered = leads.map((lead, i) => ({ lead, from_stage: null, to_stage: "entrada" as const, actor: requests[i]!.actor }));
      await insertStageHistories(
        tx,
        entered.map(({ lead, actor }, i) => ({
          lead_id: lead.id,
          from_stage: null,
          to_stage: "entrada",
          reason: requests[i]!.fields.source ? `Lead creado (origen: ${requests[i]!.fields.source})` : "Lead creado",
          actor,
          at: now,
        })),
      );
      await insertAudits(
        tx,
        entered.map(({ lead, actor }) => ({ actor, action: "lead.create", entity: "lead", entity_id: lead.id, after: auditView(lead) })),
        now,
      );
      await events.stageEnteredWithin(tx, entered);
      return leads;
    });
  }

  // Leads created at the same moment (a website form's burst, an import, chats starting together)
  // are written together: on PostgreSQL a group costs the statements of one lead, where each lead
  // was six round trips. A group a unique index refuses (a duplicate among them) is written again
  // lead by lead, so only the duplicate gets its 409, naming the lead that has the contact.
  const newLeads = createGroupWriter<NewLeadRequest, Lead>((requests) =>
    requests.length === 1 ? retryOnUniqueViolation((attempt) => writeNewLeads(requests, attempt)) : writeNewLeads(requests, "first"),
  );

  return {
    requireLead: (id: number): Promise<Lead> => db.run((q) => requireLead(q, id)),

    /**
     * A new lead starts in `entrada`, with a history row saying where it came from. Call it
     * outside a transaction: it is written with the leads created at the same moment.
     */
    async createLead(fields: LeadFields, actor: Actor): Promise<Lead> {
      assertCoherent(fields);
      const lead = await newLeads.write({ fields, actor });
      events.emitStageEntered({ lead, from_stage: null, to_stage: "entrada", actor });
      return lead;
    },

    getLeadWithHistory(id: number) {
      return db.run(async (q) => {
        const lead = await requireLead(q, id);
        return { ...lead, stage_history: await listStageHistory(q, id) };
      });
    },

    /**
     * The lead and its score line by line, from its fields and engagement as they are now. The stored
     * score is refreshed when the lead changes or moves; a message since then may make `total` differ.
     */
    getLeadWithScore(id: number): Promise<{ lead: Lead; score: { lines: ScoreLine[]; total: number } }> {
      return db.run(async (q) => {
        const lead = await requireLead(q, id);
        const lines = explainLeadScore(lead, await readScoreFacts(q, id));
        return { lead, score: { lines, total: lines.reduce((sum, line) => sum + line.points, 0) } };
      });
    },

    listLeads: (filter: LeadFilter) => db.run((q) => listLeads(q, filter)),

    /** Applies the given fields; only what changed is audited. */
    updateLead(id: number, fields: LeadFields, actor: Actor): Promise<Lead> {
      return retryOnUniqueViolation(() => db.transaction(async (tx) => {
        const now = clock.now();
        const before = await findLeadToChange(tx, id);
        if (!before) throw new NotFoundError("un lead", id);
        const changed = changedFields(before, fields);
        if (Object.keys(changed).length === 0) return before;
        assertCoherent({ ...before, ...changed });
        await assertUniqueContact(tx, changed, id);
        // A new chat id is a new chance to reach the lead on Telegram.
        const reachable = "telegram_chat_id" in changed ? { telegram_unreachable_at: null, telegram_unreachable_reason: null } : {};
        const values = await withRefreshedScore(tx, before, { ...changed, ...reachable, updated_at: now });
        return updateLeadRowWithAudits(tx, id, values, { audits: [leadUpdateAudit(before, changed, actor)], at: now });
      }));
    },
  };
}

export type LeadService = ReturnType<typeof createLeadService>;

function changedFields(lead: Lead, fields: LeadFields): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (lead[key as keyof Lead] !== value) changed[key] = value;
  }
  return changed;
}

/** The audit row of an edit: the changed fields as they were and as they are. */
export function leadUpdateAudit(before: Lead, changed: Record<string, unknown>, actor: Actor): AuditEntry {
  const beforeView: Record<string, unknown> = {};
  for (const key of Object.keys(changed)) beforeView[key] = before[key as keyof Lead];
  return { actor, action: "lead.update", entity: "lead", entity_id: before.id, before: beforeView, after: changed };
}

/** A budget range is coherent: its minimum is not above its maximum. */
export function assertCoherent(lead: { budget_min?: number | null; budget_max?: number | null }): void {
  if (lead.budget_min != null && lead.budget_max != null && lead.budget_min > lead.budget_max) {
    throw new ValidationError([{ path: "budget_min", message: "budget_min no puede ser mayor que budget_max" }]);
  }
}

/** Phone and Telegram chat identify a person: a second lead with the same one is a duplicate. */
async function assertUniqueContact(tx: Executor, fields: Record<string, unknown>, selfId: number | null): Promise<void> {
  const problems: Problem[] = [];
  const phone = fields.phone;
  if (typeof phone === "string") {
    const other = await findLeadByPhone(tx, phone);
    if (other && other.id !== selfId) problems.push({ path: "phone", message: `Ya existe el lead ${other.id} con ese teléfono` });
  }
  const chat = fields.telegram_chat_id;
  if (typeof chat === "number") {
    const other = await findLeadByTelegramChat(tx, chat);
    if (other && other.id !== selfId) {
      problems.push({ path: "telegram_chat_id", message: `Ya existe el lead ${other.id} con ese chat de Telegram` });
    }
  }
  if (problems.length) throw new ConflictError("El lead ya existe", problems);
}

/** The lead as written to the audit log: the row without timestamps that say nothing new. */
export function auditView(lead: Lead): Record<string, unknown> {
  const { created_at: _c, updated_at: _u, ...rest } = lead;
  return rest;
}
