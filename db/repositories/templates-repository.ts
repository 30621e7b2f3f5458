import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import { campaigns, campaignSteps, messageTemplates, type MessageTemplate } from "../schema";
import type { Executor } from "../executor";

type NewTemplate = typeof messageTemplates.$inferInsert;

export function insertTemplate(db: Executor, values: NewTemplate): MessageTemplate {
  return db.insert(messageTemplates).values(values).returning().get();
}

/** A live (not deleted) template. */
export function findTemplate(db: Executor, id: number): MessageTemplate | undefined {
  return db
    .select()
    .from(messageTemplates)
    .where(and(eq(messageTemplates.id, id), isNull(messageTemplates.deleted_at)))
    .get();
}

export function listTemplates(db: Executor): MessageTemplate[] {
  return db.select().from(messageTemplates).where(isNull(messageTemplates.deleted_at)).orderBy(asc(messageTemplates.id)).all();
}

export function updateTemplateRow(db: Executor, id: number, values: Partial<NewTemplate>): MessageTemplate {
  return db.update(messageTemplates).set(values).where(eq(messageTemplates.id, id)).returning().get()!;
}

/** Campaigns (other than archived ones) with a step that sends this template. */
export function campaignsUsingTemplate(db: Executor, templateId: number) {
  return db
    .selectDistinct({ id: campaigns.id, name: campaigns.name, status: campaigns.status, channel: campaigns.channel })
    .from(campaignSteps)
    .innerJoin(campaigns, eq(campaigns.id, campaignSteps.campaign_id))
    .where(and(eq(campaignSteps.message_template_id, templateId), ne(campaigns.status, "archived")))
    .orderBy(sql`${campaigns.id}`)
    .all();
}
