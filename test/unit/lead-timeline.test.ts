import { describe, expect, it } from "vitest";
import {
  formatTimelineCursor,
  mergeTimeline,
  parseTimelineCursor,
  sourceBound,
  TIMELINE_KINDS,
  type TimelineCursor,
  type TimelineKey,
  type TimelineKind,
} from "../../src/domain/lead-timeline";

const T = Date.parse("2026-01-15T16:00:00Z");
const entry = (kind: TimelineKind, secondsAgo: number, id: number): TimelineKey => ({ kind, at: new Date(T - secondsAgo * 1000), id });
const names = (entries: TimelineKey[]) => entries.map((e) => `${e.kind}${e.id}`);

describe("merging a lead's timeline", () => {
  const cases: { name: string; sources: TimelineKey[][]; limit: number; order: string[]; next: TimelineCursor | null }[] = [
    { name: "nothing to show", sources: [[], []], limit: 5, order: [], next: null },
    {
      name: "newest first across sources",
      sources: [[entry("message", 1, 7), entry("message", 30, 6)], [entry("stage", 10, 2)], [entry("call", 20, 1)]],
      limit: 10,
      order: ["message7", "stage2", "call1", "message6"],
      next: null,
    },
    {
      name: "at the same time a later kind first, then the higher id",
      sources: [[entry("message", 5, 3), entry("message", 5, 4)], [entry("stage", 5, 9)], [entry("audit", 5, 1)], [entry("campaign", 5, 2)]],
      limit: 10,
      order: ["message4", "message3", "stage9", "campaign2", "audit1"],
      next: null,
    },
    {
      name: "cut to the limit, with the cursor at the last entry shown",
      sources: [[entry("message", 1, 3), entry("message", 2, 2), entry("message", 3, 1)], [entry("appointment", 2, 8)]],
      limit: 2,
      // At the same second a message comes before an appointment.
      order: ["message3", "message2"],
      next: { at: T - 2000, kind: "message", id: 2 },
    },
    {
      name: "exactly the limit: nothing left, no cursor",
      sources: [[entry("message", 1, 3)], [entry("call", 2, 5)]],
      limit: 2,
      order: ["message3", "call5"],
      next: null,
    },
  ];

  it.each(cases)("$name", ({ sources, limit, order, next }) => {
    const merged = mergeTimeline(sources, limit);
    expect(names(merged.entries)).toEqual(order);
    expect(merged.next).toEqual(next);
  });

  it("reads a source's next page from the cursor: older, or at the same time and later in the order", () => {
    const cursor: TimelineCursor = { at: T, kind: "call", id: 5 };
    expect(sourceBound(cursor, "call")).toEqual({ at: new Date(T), sameTime: "lower_ids", id: 5 });
    // Earlier kinds show after a call at the same time; later ones before it.
    expect(sourceBound(cursor, "appointment")).toEqual({ at: new Date(T), sameTime: "all" });
    expect(sourceBound(cursor, "audit")).toEqual({ at: new Date(T), sameTime: "all" });
    expect(sourceBound(cursor, "stage")).toEqual({ at: new Date(T), sameTime: "none" });
    expect(sourceBound(cursor, "message")).toEqual({ at: new Date(T), sameTime: "none" });
  });

  it("pages through every entry once, in order, however the page size falls on equal times", () => {
    const all: TimelineKey[] = [];
    let id = 1;
    for (const kind of TIMELINE_KINDS) for (const secondsAgo of [0, 0, 5, 5, 5, 9, 30]) all.push(entry(kind, secondsAgo, id++));
    // What the repositories do: each source's entries after the bound, newest first, up to limit + 1.
    const read = (kind: TimelineKind, cursor: TimelineCursor | null, limit: number) =>
      all
        .filter((e) => e.kind === kind)
        .filter((e) => {
          if (!cursor) return true;
          const bound = sourceBound(cursor, kind);
          const at = e.at.getTime();
          if (at !== bound.at.getTime()) return at < bound.at.getTime();
          return bound.sameTime === "all" || (bound.sameTime === "lower_ids" && e.id < bound.id);
        })
        .sort((a, b) => b.at.getTime() - a.at.getTime() || b.id - a.id)
        .slice(0, limit + 1);
    const everything = names(mergeTimeline([all], all.length).entries);
    for (const limit of [1, 2, 3, 7, 41, 42, 100]) {
      const seen: string[] = [];
      let cursor: TimelineCursor | null = null;
      do {
        const page = mergeTimeline(TIMELINE_KINDS.map((kind) => read(kind, cursor, limit)), limit);
        seen.push(...names(page.entries));
        cursor = page.next;
      } while (cursor);
      expect(seen, `limit ${limit}`).toEqual(everything);
    }
  });

  it("carries its cursor in a query string and refuses anything else", () => {
    const cursor: TimelineCursor = { at: T, kind: "campaign", id: 42 };
    expect(parseTimelineCursor(formatTimelineCursor(cursor))).toEqual(cursor);
    for (const bad of ["", "abc", `${T}.nada.1`, `${T}.message`, `-1.message.1`, `${T}.message.1.2`, "1e3.message.1", "9".repeat(20) + ".message.1"]) {
      expect(parseTimelineCursor(bad), bad).toBeNull();
    }
  });
});
