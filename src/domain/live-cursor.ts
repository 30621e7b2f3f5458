/**
 * How far the live feed has read an append-only table (audit_logs, messages), by id.
 *
 * On SQLite writers are serialized, so ids commit in order and the highest id read is a safe
 * cursor. On PostgreSQL an identity id is taken at insert and the row becomes visible at commit:
 * id 101 can appear after 102 was read. So the feed keeps a low-water mark (every id at or below
 * it was delivered, or given up on) and the ids above it it has already delivered; each poll reads
 * again from the mark and delivers only ids it has not. A missing id (a gap) holds the mark back
 * until it has been visible for `settleMs`: a transaction still in flight commits well within
 * that, and an insert that rolled back leaves a gap that never fills.
 */

export interface LowWater {
  /** Every id at or below it was delivered or given up on. */
  mark: number;
  /** Ids above the mark already delivered, ascending, each with when it was first read (ms). */
  held: ReadonlyArray<{ id: number; at: number }>;
}

export interface LowWaterRules {
  /** How long a gap below a delivered id may stay open before the mark moves past it (0: at once, as on SQLite). */
  settleMs: number;
  /**
   * At most this many delivered ids are held above the mark; past it the oldest gap is given up
   * on whatever its age, so the next read (which must ask for more rows than this) always has room
   * for new ones.
   */
  maxHeld: number;
}

export function startingAt(mark: number): LowWater {
  return { mark, held: [] };
}

/**
 * Takes the ids one poll read (any order, any overlap with earlier reads) and answers which are new,
 * ascending, and the state to read from next time.
 */
export function advanceLowWater(state: LowWater, read: readonly number[], nowMs: number, rules: LowWaterRules): { state: LowWater; fresh: number[] } {
  const known = new Set(state.held.map((entry) => entry.id));
  const fresh = [...new Set(read)].filter((id) => id > state.mark && !known.has(id)).sort((a, b) => a - b);
  const held = [...state.held, ...fresh.map((id) => ({ id, at: nowMs }))].sort((a, b) => a.id - b.id);
  let mark = state.mark;
  while (held.length > 0) {
    const next = held[0]!;
    if (next.id !== mark + 1) {
      // A gap below `next`: it has been open since the first id above it was read.
      const openSince = Math.min(...held.map((entry) => entry.at));
      const settled = nowMs - openSince >= rules.settleMs;
      if (!settled && held.length <= rules.maxHeld) break;
    }
    mark = next.id;
    held.shift();
  }
  return { state: { mark, held }, fresh };
}
