import { describe, expect, it } from "vitest";
import { advanceLowWater, startingAt, type LowWater } from "../../src/domain/live-cursor";

const POSTGRES = { settleMs: 2000, maxHeld: 4 };
const SQLITE = { settleMs: 0, maxHeld: 4 };

/** Each poll: when it ran (ms) and the ids it read from the mark up. */
interface Case {
  name: string;
  rules: typeof POSTGRES;
  start?: number;
  polls: Array<{ at: number; read: number[]; fresh: number[]; mark: number; held: number[] }>;
}

const CASES: Case[] = [
  {
    name: "ids in order move the mark to the highest",
    rules: POSTGRES,
    polls: [
      { at: 0, read: [1, 2, 3], fresh: [1, 2, 3], mark: 3, held: [] },
      { at: 1000, read: [4], fresh: [4], mark: 4, held: [] },
    ],
  },
  {
    name: "nothing new delivers nothing and keeps the mark",
    rules: POSTGRES,
    start: 10,
    polls: [{ at: 0, read: [], fresh: [], mark: 10, held: [] }],
  },
  {
    name: "an id committed late (101 after 102) is delivered once it appears, and the mark closes over both",
    rules: POSTGRES,
    start: 100,
    polls: [
      { at: 0, read: [102], fresh: [102], mark: 100, held: [102] },
      { at: 500, read: [102, 103], fresh: [103], mark: 100, held: [102, 103] },
      { at: 900, read: [101, 102, 103], fresh: [101], mark: 103, held: [] },
    ],
  },
  {
    name: "a gap left by a rolled-back insert is given up on once it has been open for settleMs",
    rules: POSTGRES,
    start: 100,
    polls: [
      { at: 0, read: [102], fresh: [102], mark: 100, held: [102] },
      { at: 1999, read: [102], fresh: [], mark: 100, held: [102] },
      { at: 2000, read: [102, 104], fresh: [104], mark: 102, held: [104] },
      // 103's gap opened only when 104 was read: it gets its own settleMs.
      { at: 2001, read: [104], fresh: [], mark: 102, held: [104] },
      { at: 4000, read: [104], fresh: [], mark: 104, held: [] },
    ],
  },
  {
    name: "ids read again are never delivered twice, in any order",
    rules: POSTGRES,
    start: 0,
    polls: [
      { at: 0, read: [3, 1, 3], fresh: [1, 3], mark: 1, held: [3] },
      { at: 10, read: [3, 1], fresh: [], mark: 1, held: [3] },
      { at: 20, read: [2, 3], fresh: [2], mark: 3, held: [] },
      { at: 30, read: [1, 2, 3], fresh: [], mark: 3, held: [] },
    ],
  },
  {
    name: "more delivered ids than maxHeld above a young gap give the gap up, so the next read has room",
    rules: POSTGRES,
    start: 0,
    polls: [{ at: 0, read: [2, 3, 4, 5, 6], fresh: [2, 3, 4, 5, 6], mark: 6, held: [] }],
  },
  {
    name: "on SQLite (commit order is id order) a gap never holds the mark",
    rules: SQLITE,
    start: 0,
    polls: [
      { at: 0, read: [2, 5], fresh: [2, 5], mark: 5, held: [] },
      // An id below the mark is never delivered (it was given up on).
      { at: 0, read: [4, 6], fresh: [6], mark: 6, held: [] },
    ],
  },
  {
    name: "the clock going backwards keeps a gap open rather than settling it early",
    rules: POSTGRES,
    start: 0,
    polls: [
      { at: 5000, read: [2], fresh: [2], mark: 0, held: [2] },
      { at: 1000, read: [2], fresh: [], mark: 0, held: [2] },
      { at: 7000, read: [2], fresh: [], mark: 2, held: [] },
    ],
  },
];

describe("the live feed's low-water mark", () => {
  it.each(CASES)("$name", ({ rules, start, polls }) => {
    let state: LowWater = startingAt(start ?? 0);
    polls.forEach((poll, index) => {
      const result = advanceLowWater(state, poll.read, poll.at, rules);
      expect({ fresh: result.fresh, mark: result.state.mark, held: result.state.held.map((entry) => entry.id) }, `poll ${index + 1}`).toEqual({
        fresh: poll.fresh,
        mark: poll.mark,
        held: poll.held,
      });
      state = result.state;
    });
  });
});
