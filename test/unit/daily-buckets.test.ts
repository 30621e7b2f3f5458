import { describe, expect, it } from "vitest";
import { bucketByLocalDay, localDayOf, localDaysOf, rangeReadFrom } from "../../src/domain/daily-buckets";

const MEXICO = "America/Mexico_City";

describe("local days", () => {
  it.each([
    // 16:00 UTC is 10:00 in Mexico City: the same date.
    ["2026-01-15T16:00:00Z", MEXICO, "2026-01-15"],
    // 02:00 UTC is still the evening before in Mexico City (UTC−6).
    ["2026-01-15T02:00:00Z", MEXICO, "2026-01-14"],
    ["2026-01-15T05:59:59Z", MEXICO, "2026-01-14"],
    ["2026-01-15T06:00:00Z", MEXICO, "2026-01-15"],
    ["2026-01-15T02:00:00Z", "UTC", "2026-01-15"],
    // New York's DST change (8 March 2026): midnight local is 05:00 UTC before it and 04:00 after.
    ["2026-03-09T04:30:00Z", "America/New_York", "2026-03-09"],
  ])("%s in %s is the local day %s", (at, zone, day) => {
    expect(localDayOf(new Date(at), zone)).toBe(day);
  });

  it("lists the range's days oldest first, ending today, across a month end and a DST change", () => {
    expect(localDaysOf({ now: new Date("2026-03-02T03:00:00Z"), days: 3, timeZone: MEXICO })).toEqual(["2026-02-27", "2026-02-28", "2026-03-01"]);
    expect(localDaysOf({ now: new Date("2026-03-09T12:00:00Z"), days: 3, timeZone: "America/New_York" })).toEqual(["2026-03-07", "2026-03-08", "2026-03-09"]);
    expect(localDaysOf({ now: new Date("2026-01-15T16:00:00Z"), days: 30, timeZone: MEXICO })).toHaveLength(30);
  });
});

describe("bucketByLocalDay", () => {
  const range = { now: new Date("2026-01-15T16:00:00Z"), days: 3, timeZone: MEXICO };

  it.each([
    ["no times: every day is there with 0", [], [0, 0, 0]],
    ["one step today", ["2026-01-15T15:00:00Z"], [0, 0, 1]],
    // 01:00 UTC on the 15th is the 14th in Mexico City: it counts on the 14th, not the 15th.
    ["a late-evening step counts on its local day", ["2026-01-15T01:00:00Z"], [0, 1, 0]],
    ["several on one day", ["2026-01-13T12:00:00Z", "2026-01-13T20:00:00Z", "2026-01-14T05:00:00Z"], [3, 0, 0]],
    ["before the range is left out", ["2026-01-12T12:00:00Z", "2026-01-13T06:00:00Z"], [1, 0, 0]],
    // A step claimed after now (a clock that went backwards) is not counted on a day outside the range.
    ["after today is left out", ["2026-01-16T07:00:00Z"], [0, 0, 0]],
  ])("%s", (_name, times, counts) => {
    const buckets = bucketByLocalDay(times.map((t) => new Date(t)), range);
    expect(buckets.map((b) => b.day)).toEqual(["2026-01-13", "2026-01-14", "2026-01-15"]);
    expect(buckets.map((b) => b.count)).toEqual(counts);
  });

  it("reads from early enough to cover the first local day in any zone", () => {
    for (const timeZone of [MEXICO, "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"]) {
      const from = rangeReadFrom({ ...range, timeZone });
      const first = localDaysOf({ ...range, timeZone })[0]!;
      expect(localDayOf(from, timeZone) < first).toBe(true);
    }
  });
});
