/**
 * A lead's story as one list, newest first: messages, calls, stage moves, appointments, campaign
 * steps and audit entries, each read from its own table. The order is (time, kind, id), all three
 * descending, so two entries never tie and a page ends at an exact place: the cursor is that place,
 * and the next page is everything strictly after it in that order.
 */

/** The kinds of entry, in their tie-break order: at the same millisecond, a later kind shows first. */
export const TIMELINE_KINDS = ["audit", "campaign", "appointment", "call", "stage", "message"] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** What every entry has for its place in the order. */
export interface TimelineKey {
  kind: TimelineKind;
  at: Date;
  id: number;
}

/** Where a page ended: the next page holds the entries after this one. */
export interface TimelineCursor {
  at: number;
  kind: TimelineKind;
  id: number;
}

/**
 * Audit actions a lead's timeline leaves out because another entry already tells them: a creation
 * is the move into entrada and a stage change is a move (stage history, with the same actor), and a
 * message a person sent is the message itself, with its author.
 */
export const AUDIT_ACTIONS_TOLD_ELSEWHERE = ["lead.create", "lead.stage_change", "lead.message_sent"] as const;

/** The page size of the timeline when none is asked for. */
export const TIMELINE_PAGE_SIZE = 50;

const rank = (kind: TimelineKind) => TIMELINE_KINDS.indexOf(kind);

/** Negative when `a` comes first (is newer), positive when `b` does. */
export function compareTimeline(a: TimelineKey | TimelineCursor, b: TimelineKey | TimelineCursor): number {
  const atOf = (key: TimelineKey | TimelineCursor) => (typeof key.at === "number" ? key.at : key.at.getTime());
  return atOf(b) - atOf(a) || rank(b.kind) - rank(a.kind) || b.id - a.id;
}

/**
 * The first `limit` entries of the merged sources, and the cursor to read on from, or null when
 * nothing is left. Each source must hold its newest entries after the previous cursor, up to
 * `limit + 1` of them: then an entry left out exists exactly when more than `limit` were given.
 */
export function mergeTimeline<Entry extends TimelineKey>(
  sources: ReadonlyArray<readonly Entry[]>,
  limit: number,
): { entries: Entry[]; next: TimelineCursor | null } {
  const all = sources.flat().sort(compareTimeline);
  const entries = all.slice(0, limit);
  const last = entries.at(-1);
  const next = all.length > limit && last ? { at: last.at.getTime(), kind: last.kind, id: last.id } : null;
  return { entries, next };
}

/**
 * How a source of `kind` reads the entries after `cursor`: those strictly older, plus those at the
 * same millisecond that come later in the order (every one for an earlier kind, those with a lower
 * id for the cursor's own kind, none for a later kind).
 */
export type SourceBound = { at: Date; sameTime: "all" | "none" } | { at: Date; sameTime: "lower_ids"; id: number };

export function sourceBound(cursor: TimelineCursor, kind: TimelineKind): SourceBound {
  const at = new Date(cursor.at);
  if (kind === cursor.kind) return { at, sameTime: "lower_ids", id: cursor.id };
  return { at, sameTime: rank(kind) < rank(cursor.kind) ? "all" : "none" };
}

/** The cursor as a query string carries it: `<ms>.<kind>.<id>`. */
export function formatTimelineCursor(cursor: TimelineCursor): string {
  return `${cursor.at}.${cursor.kind}.${cursor.id}`;
}

const CURSOR_FORMAT = /^(\d{1,15})\.([a-z]+)\.(\d{1,15})$/;

/** The cursor a query string holds, or null when it is not one. */
export function parseTimelineCursor(text: string): TimelineCursor | null {
  const match = CURSOR_FORMAT.exec(text);
  if (!match) return null;
  const kind = match[2] as TimelineKind;
  if (!TIMELINE_KINDS.includes(kind)) return null;
  const at = Number(match[1]);
  const id = Number(match[3]);
  if (!Number.isSafeInteger(at) || !Number.isSafeInteger(id)) return null;
  return { at, kind, id };
}
