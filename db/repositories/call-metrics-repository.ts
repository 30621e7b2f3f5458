/** Figures about calls for the dashboard's Métricas. */
import { gte } from "drizzle-orm";
import type { Executor } from "../executor";

/**
 * When each call since `since` was created: a range on voice_calls_created_idx, which holds the
 * column itself, so the table is not read. Days are local to the agency, so they are counted in
 * TypeScript (src/domain/daily-buckets.ts), the same on both databases.
 */
export async function listCallTimesSince(q: Executor, since: Date): Promise<Date[]> {
  const { voiceCalls: c } = q.t;
  const rows = await q.db.select({ at: c.created_at }).from(c).where(gte(c.created_at, since));
  return rows.map((row) => row.at);
}
