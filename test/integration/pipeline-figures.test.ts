/**
 * The figures behind /pipeline/metrics and the stage pages answer the same on
 * SQLite and PostgreSQL, to the millisecond: each database computes them its
 * own way (db/repositories/pipeline-metrics-repository.ts), so both are
 * checked against the figures worked out here from the leads themselves.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "../../db/database";
import { compactLeadStageTallies } from "../../db/repositories/lead-stage-tallies-repository";
import { insertLead, insertLeads as insertLeadRows, listLeadsInStage, updateLeadRow } from "../../db/repositories/leads-repository";
import { rawRows } from "../../db/prepared";
import { readPipelineFigures } from "../../db/repositories/pipeline-metrics-repository";
import type { PipelineStage } from "../../src/domain/vocabulary";
import { DIALECTS, skipPostgres, useBothDatabases } from "../support/both-databases";

const databaseFor = useBothDatabases();

const now = new Date("2026-03-01T18:30:00.000Z");
const DAY = 86_400_000;

// Odd and even counts (the median is one middle row, or the mean of two), ages with
// milliseconds, a lead sent back below its furthest rank, and lost leads from several ranks.
const LEADS: { stage: PipelineStage; rank: number; ageMs: number }[] = [
  { stage: "entrada", rank: 0, ageMs: 1 * DAY + 1 },
  { stage: "entrada", rank: 0, ageMs: 3 * DAY + 7 },
  { stage: "entrada", rank: 0, ageMs: 2 * DAY + 123 },
  { stage: "entrada", rank: 3, ageMs: 40 * DAY + 999 },
  { stage: "entrada", rank: 0, ageMs: 17 },
  { stage: "perfilamiento", rank: 1, ageMs: 5 * DAY + 1 },
  { stage: "perfilamiento", rank: 1, ageMs: 6 * DAY + 2 },
  { stage: "perfilamiento", rank: 2, ageMs: 9 * DAY + 333 },
  { stage: "perfilamiento", rank: 1, ageMs: 8 * DAY },
  { stage: "perdido", rank: 0, ageMs: 100 * DAY + 5 },
  { stage: "perdido", rank: 2, ageMs: 50 * DAY },
  { stage: "perdido", rank: 4, ageMs: 70 * DAY + 250 },
  { stage: "ganado", rank: 5, ageMs: 200 * DAY + 1 },
];

function expectedFigures() {
  const stages = [...new Set(LEADS.map((lead) => lead.stage))].map((stage) => {
    const ages = LEADS.filter((lead) => lead.stage === stage).map((lead) => lead.ageMs).sort((a, b) => a - b);
    const middle = Math.floor((ages.length - 1) / 2);
    return {
      stage,
      count: ages.length,
      avg_age_ms: ages.reduce((sum, age) => sum + age, 0) / ages.length,
      median_age_ms: ages.length % 2 ? ages[middle]! : (ages[middle]! + ages[middle + 1]!) / 2,
    };
  });
  const ranks = new Map<number, number>();
  for (const lead of LEADS) ranks.set(lead.rank, (ranks.get(lead.rank) ?? 0) + 1);
  return { stages, ranks };
}

async function insertLeads(database: Database, leads: { stage: PipelineStage; rank: number; changedAt: Date }[]) {
  const ids: number[] = [];
  for (const [i, { stage, rank, changedAt }] of leads.entries()) {
    const lead = await database.run((q) =>
      insertLead(q, {
        name: `Lead ${i}`,
        pipeline_stage: stage,
        furthest_stage_rank: rank,
        stage_changed_at: changedAt,
        last_activity_at: changedAt,
        created_at: changedAt,
        updated_at: changedAt,
      }),
    );
    ids.push(lead.id);
  }
  return ids;
}

describe.each(DIALECTS)("pipeline figures on %s", (dialect) => {
  const skip = dialect === "postgres" && skipPostgres;

  it.skipIf(skip)("count, average and median age per stage, and leads by furthest rank, to the millisecond", async () => {
    const database = databaseFor(dialect);
    await insertLeads(database, LEADS.map(({ stage, rank, ageMs }) => ({ stage, rank, changedAt: new Date(now.getTime() - ageMs) })));

    const figures = await database.transaction((q) => readPipelineFigures(q, now));
    const expected = expectedFigures();
    const byStage = (rows: { stage: string }[]) => [...rows].sort((a, b) => a.stage.localeCompare(b.stage));
    expect(byStage(figures.stages)).toEqual(byStage(expected.stages));
    expect(new Map([...figures.leadsByFurthestRank].sort(([a], [b]) => a - b))).toEqual(new Map([...expected.ranks].sort(([a], [b]) => a - b)));
  });

  it.skipIf(skip)("a stage page is the newest arrivals first, ties by id, whatever the skip", async () => {
    const database = databaseFor(dialect);
    const sameTime = new Date(now.getTime() - DAY);
    const ids = await insertLeads(database, [
      { stage: "seguimiento", rank: 4, changedAt: new Date(now.getTime() - 3 * DAY) },
      { stage: "seguimiento", rank: 4, changedAt: sameTime },
      { stage: "seguimiento", rank: 4, changedAt: new Date(now.getTime() - 2 * DAY) },
      { stage: "seguimiento", rank: 4, changedAt: sameTime },
      { stage: "seguimiento", rank: 4, changedAt: new Date(now.getTime() - 10) },
    ]);
    const newestFirst = [ids[4], ids[3], ids[1], ids[2], ids[0]];
    const page = (skip: number, limit: number) => database.run((q) => listLeadsInStage(q, "seguimiento", skip, limit));

    expect((await page(0, 2)).items.map((lead) => lead.id)).toEqual(newestFirst.slice(0, 2));
    expect((await page(2, 2)).items.map((lead) => lead.id)).toEqual(newestFirst.slice(2, 4));
    expect(await page(4, 2)).toMatchObject({ items: [{ id: newestFirst[4], stage_changed_at: new Date(now.getTime() - 3 * DAY) }], total: 5 });
    expect(await page(10, 2)).toEqual({ items: [], total: 5 });
    // Pages nearer the end are read from it, oldest first, and turned round: the same leads, in the same order.
    for (let skipped = 0; skipped <= 6; skipped++) {
      for (let limit = 1; limit <= 6; limit++) {
        expect((await page(skipped, limit)).items.map((lead) => lead.id), `skip ${skipped}, limit ${limit}`).toEqual(newestFirst.slice(skipped, skipped + limit));
      }
    }
  });

  it.skipIf(skip)("the figures follow creations in a group, moves, edits, deletions and rollbacks, folded or not", async () => {
    const database = databaseFor(dialect);
    const at = (ageMs: number) => new Date(now.getTime() - ageMs);
    const created = await database.transaction((q) =>
      insertLeadRows(
        q,
        [0, 1, 2, 3, 4].map((i) => ({
          name: `Grupo ${i}`,
          pipeline_stage: "agendado" as const,
          furthest_stage_rank: 3,
          stage_changed_at: at(i * DAY + 11),
          last_activity_at: at(i * DAY),
          created_at: at(i * DAY),
          updated_at: at(i * DAY),
        })),
      ),
    );
    const [a, b, c, d] = created.map((lead) => lead.id) as [number, number, number, number];
    await database.transaction((q) => updateLeadRow(q, a, { pipeline_stage: "seguimiento", furthest_stage_rank: 4, stage_changed_at: at(5) }));
    await database.transaction((q) => updateLeadRow(q, b, { pipeline_stage: "perdido", stage_changed_at: at(7) }));
    await database.transaction((q) => updateLeadRow(q, c, { name: "Solo el nombre", last_activity_at: at(1) }));
    await database.run((q) => q.db.delete(q.t.leads).where(eq(q.t.leads.id, d)));
    await expect(
      database.transaction(async (q) => {
        await updateLeadRow(q, c, { pipeline_stage: "ganado", furthest_stage_rank: 5, stage_changed_at: at(3) });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await expectFiguresOfTheLeads(database);

    await database.run((q) => compactLeadStageTallies(q));
    await expectFiguresOfTheLeads(database);
    if (dialect === "postgres") {
      // A fold while a move is in flight folds what is committed; the move lands after it, once.
      let moved!: () => void;
      let release!: () => void;
      const inFlight = new Promise<void>((resolve) => (moved = resolve));
      const gate = new Promise<void>((resolve) => (release = resolve));
      const move = database.transaction(async (q) => {
        await updateLeadRow(q, c, { pipeline_stage: "ganado", furthest_stage_rank: 5, stage_changed_at: at(3) });
        moved();
        await gate;
      });
      await inFlight;
      await Promise.all([database.run((q) => compactLeadStageTallies(q)), database.run((q) => compactLeadStageTallies(q))]);
      release();
      await move;
      await expectFiguresOfTheLeads(database);
      await database.run((q) => compactLeadStageTallies(q));
      const groups = await database.run((q) => rawRows<{ n: number }>(q, sql`SELECT count(*)::int AS n FROM (SELECT DISTINCT pipeline_stage, furthest_stage_rank FROM leads) g`));
      const tallies = await database.run((q) => rawRows<{ n: number }>(q, sql`SELECT count(*)::int AS n FROM lead_stage_tallies`));
      expect(tallies[0]!.n).toBe(groups[0]!.n);
      await expectFiguresOfTheLeads(database);
    }
  });
});

/** The counts and average ages the figures give, against the ones worked out here from every lead. */
async function expectFiguresOfTheLeads(database: Database) {
  const leads = await database.run((q) => q.db.select().from(q.t.leads));
  const figures = await database.transaction((q) => readPipelineFigures(q, now));
  const stages = [...new Set(leads.map((lead) => lead.pipeline_stage))].sort();
  expect([...figures.stages].sort((x, y) => x.stage.localeCompare(y.stage)).map(({ stage, count, avg_age_ms }) => ({ stage, count, avg_age_ms }))).toEqual(
    stages.map((stage) => {
      const ages = leads.filter((lead) => lead.pipeline_stage === stage).map((lead) => now.getTime() - lead.stage_changed_at.getTime());
      return { stage, count: ages.length, avg_age_ms: ages.reduce((sum, age) => sum + age, 0) / ages.length };
    }),
  );
  const ranks = new Map<number, number>();
  for (const lead of leads) ranks.set(lead.furthest_stage_rank, (ranks.get(lead.furthest_stage_rank) ?? 0) + 1);
  expect(new Map([...figures.leadsByFurthestRank].sort(([x], [y]) => x - y))).toEqual(new Map([...ranks].sort(([x], [y]) => x - y)));
  for (const stage of stages) {
    expect((await database.run((q) => listLeadsInStage(q, stage, 0, 1))).total).toBe(leads.filter((lead) => lead.pipeline_stage === stage).length);
  }
}
