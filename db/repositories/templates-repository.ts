import { and, asc, eq, isNull, ne } from "drizzle-orm";
import type { MessageTemplate } from "../schema";
import type { Executor } from "../executor";

type NewTemplate = typeof import("../schema").messageTemplates.$inferInsert;

export async function insertTemplate(q: Executor, values: NewTemplate): Promise<MessageTemplate> {
  const [row] = await q.db.insert(q.t.messageTemplates).values(values).returning();
  return row!;
}

/** A live (not deleted) template. */
export async function findTemplate(q: Executor, id: number): Promise<MessageTemplate | undefined> {
  const { messageTemplates } = q.t;
  const [row] = await q.db
    .select()
    .from(messageTemplates)
    .where(and(eq(messageTemplates.id, id), isNull(messageTemplates.deleted_at)));
  return row;
}

export async function listTemplates(q: Executor): Promise<MessageTemplate[]> {
  const { messageTemplates } = q.t;
  return q.db.select().from(messageTemplates).where(isNull(messageTemplates.deleted_at)).orderBy(asc(messageTemplates.id));
}

export async function updateTemplateRow(q: Executor, id: number, values: Partial<NewTemplate>): Promise<MessageTemplate> {
  const { messageTemplates } = q.t;
  const [row] = await q.db.update(messageTemplates).set(values).where(eq(messageTemplates.id, id)).returning();
  return row!;
}

/** Campaigns (other than archived ones) with a step that sends this template. */
export async function campaignsUsingTemplate(q: Executor, templateId: number) {
  const { campaigns, campaignSteps } = q.t;
  return q.db
    .selectDistinct({ id: campaigns.id, name: campaigns.name, status: campaigns.status, channel: campaigns.channel })
    .from(campaignSteps)
    .innerJoin(campaigns, eq(campaigns.id, campaignSteps.campaign_id))
    .where(and(eq(campaignSteps.message_template_id, templateId), ne(campaigns.status, "archived")))
    .orderBy(asc(campaigns.id));
}
