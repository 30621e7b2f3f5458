/**
 * The leads the front-door benches seed before the product starts, as a year of an agency's work
 * would have left them: names, phones, sources, budgets and zones, spread over the stages with
 * their stage history (bench:api, bench:dashboard). The same seed gives the same leads.
 */
import { MAIN_PATH } from "../../src/domain/pipeline";
import { insertRows, type BenchStore } from "./bench-product";

const DAY = 86_400_000;
const HORIZON = 365 * DAY;
export const FIRST_NAMES = ["José", "María", "Juan", "Guadalupe", "Luis", "Sofía", "Andrés", "Ximena", "Héctor", "Mónica", "Raúl", "Valeria", "Iván", "Lucía", "Óscar", "Fernanda"];
export const LAST_NAMES = ["Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Cruz", "Gómez", "Ibáñez", "Muñoz", "Díaz", "Vázquez", "Jiménez"];
export const LOCATIONS = ["Roma Norte", "Condesa", "Polanco", "Del Valle", "Coyoacán", "Zapopan", "Providencia", "San Pedro"];
export const PROPERTY_TYPES = ["casa", "departamento", "terreno"];
export const SOURCES = ["telegram", "facebook", "portal", "referido"];

export const seededName = (i: number) => `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length]} ${i}`;
export const seededPhone = (i: number) => `+52155${String(i).padStart(8, "0")}`;
export const seededEmail = (i: number) => `cliente${i}@correo.example`;

/** Furthest rank on the main path: most leads stop early (entrada 40 %, perfilamiento 25 % …, ganado 4 %). */
const RANK_CUMULATIVE = [0.4, 0.65, 0.8, 0.9, 0.96, 1];
const LOST_SHARE = 0.15; // of the leads that did not win

const LEAD_COLUMNS = [
  "name", "telegram_chat_id", "phone", "email", "source", "pipeline_stage", "furthest_stage_rank", "stage_changed_at",
  "last_activity_at", "score", "budget_min", "budget_max", "currency", "location", "property_type", "created_at", "updated_at",
] as const;
const HISTORY_COLUMNS = ["lead_id", "from_stage", "to_stage", "reason", "actor", "forced", "at"] as const;

/**
 * Writes `count` leads, then their history (ids are 1…count in an empty database), drawing from
 * `rand`. Returns the number of history rows.
 */
export async function seedLeads(store: BenchStore, count: number, now: number, rand: () => number): Promise<number> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const leads: unknown[][] = [];
  const history: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const rank = RANK_CUMULATIVE.findIndex((limit) => rand() < limit);
    const lost = rank < MAIN_PATH.length - 1 && rand() < LOST_SHARE;
    const created = now - Math.floor(rand() * HORIZON);
    // One time per stage change (each passed stage, then perdido), all between creation and now.
    const changes = Array.from({ length: rank + (lost ? 1 : 0) }, () => created + Math.floor(rand() * (now - created))).sort((a, b) => a - b);
    const stageChangedAt = changes.at(-1) ?? created;
    const lastActivityAt = stageChangedAt + Math.floor(rand() * (now - stageChangedAt));
    const hasBudget = rank >= 1 || rand() < 0.3;
    const budgetMax = hasBudget ? 800_000 + Math.floor(rand() * 60) * 100_000 : null;
    leads.push([
      seededName(i), rand() < 0.7 ? 100_000_000 + i : null, seededPhone(i), rand() < 0.6 ? seededEmail(i) : null, pick(SOURCES),
      lost ? "perdido" : MAIN_PATH[rank]!, rank, new Date(stageChangedAt), new Date(lastActivityAt), Math.min(100, Math.floor(rank * 12 + rand() * 41)),
      budgetMax === null ? null : Math.round(budgetMax * 0.8), budgetMax, "MXN", hasBudget || rand() < 0.3 ? pick(LOCATIONS) : null,
      hasBudget ? pick(PROPERTY_TYPES) : null, new Date(created), new Date(lastActivityAt),
    ]);
    const leadId = i + 1;
    history.push([leadId, null, "entrada", null, "bench:seed", false, new Date(created)]);
    for (const [step, at] of changes.entries()) history.push([leadId, MAIN_PATH[step]!, step < rank ? MAIN_PATH[step + 1]! : "perdido", null, "bench:seed", false, new Date(at)]);
  }
  await insertRows(store.raw, "leads", LEAD_COLUMNS, leads);
  await insertRows(store.raw, "lead_stage_history", HISTORY_COLUMNS, history);
  const [first] = await store.raw.query<{ id: number }>("SELECT min(id) AS id FROM leads");
  if (first?.id !== 1) throw new Error(`seeded leads start at id ${first?.id}, expected 1`);
  return history.length;
}
