/**
 * Delivery reports that named a message we had not stored yet (see
 * held_delivery_reports in db/schema.ts). A message's reports are taken once:
 * reading them deletes them, in the transaction that applies them.
 */
import { and, eq, inArray, lt } from "drizzle-orm";
import type { Executor } from "../executor";
import type { HeldDeliveryReport } from "../schema";
import type { Channel } from "../../src/domain/vocabulary";

/** Keeps a report; the same status for the same message is kept once. */
export async function holdReport(q: Executor, report: HeldDeliveryReport): Promise<void> {
  await q.db.insert(q.t.heldDeliveryReports).values(report).onConflictDoNothing();
}

export async function takeHeldReports(q: Executor, channel: Channel, externalId: string): Promise<HeldDeliveryReport[]> {
  const held = q.t.heldDeliveryReports;
  return q.db
    .delete(held)
    .where(and(eq(held.channel, channel), eq(held.external_id, externalId)))
    .returning();
}

export async function dropHeldReportsBefore(q: Executor, before: Date): Promise<void> {
  const held = q.t.heldDeliveryReports;
  await q.db.delete(held).where(lt(held.received_at, before));
}

/** Which of these provider ids have reports held for them (one statement for them all). */
export async function idsWithHeldReports(q: Executor, channel: Channel, externalIds: readonly string[]): Promise<Set<string>> {
  const held = q.t.heldDeliveryReports;
  const rows = await q.db
    .selectDistinct({ external_id: held.external_id })
    .from(held)
    .where(and(eq(held.channel, channel), inArray(held.external_id, [...externalIds])));
  return new Set(rows.map((row) => row.external_id));
}
