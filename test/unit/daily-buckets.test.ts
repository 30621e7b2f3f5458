import { describe, expect, it } from "vitest";
import { bucketByLocalDay, lastLocalDays, localDay } from "../../src/domain/daily-buckets";

const MX = "America/Mexico_City"; // UTC-6, no daylight saving time since 2022

describe("counting per local day", () => {
  it.each([
    { at: "2026-01-15T16:00:00Z", zone: MX, day: "2026-01-15" },
    { at: "2026-01-16T01:30:00Z", zone: MX, day: "2026-01-15" }, // 19:30 in Mexico City, already the 16th in UTC
    { at: "2026-01-16T06:00:00Z", zone: MX, day: "2026-01-16" }, // local midnight
    { at: "2026-01-16T05:59:59.999Z", zone: MX, day: "2026-01-15" },
    { at: "2026-01-15T23:30:00Z", zone: "Asia/Tokyo", day: "2026-01-16" },
    { at: "2026-03-08T08:30:00Z", zone: "America/Los_Angeles", day: "2026-03-08" }, // the day clocks jump forward
  ])("$at is $day in $zone", ({ at, zone, day }) => {
    expect(localDay(new Date(at), zone)).toBe(day);
  });

  it("lists the last N local days up to today, oldest first, across a month's end", () => {
    const { days, since } = lastLocalDays(new Date("2026-03-02T03:00:00Z"), 4, MX); // 21:00 on 1 March in Mexico City
    expect(days).toEqual(["2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01"]);
    // Early enough for the first day's local midnight (06:00 UTC), never a whole day earlier.
    expect(since.getTime()).toBeLessThanOrEqual(Date.parse("2026-02-26T06:00:00Z"));
    expect(since.getTime()).toBeGreaterThan(Date.parse("2026-02-25T06:00:00Z"));
  });

  it("keeps a whole day on a daylight-saving change", () => {
    const { days, since } = lastLocalDays(new Date("2026-03-09T20:00:00Z"), 2, "America/Los_Angeles");
    expect(days).toEqual(["2026-03-08", "2026-03-09"]);
    expect(since.getTime()).toBeLessThanOrEqual(Date.parse("2026-03-08T08:00:00Z")); // midnight PST
  });

  it.each([
    { name: "no calls: every day at zero", times: [], counts: [0, 0, 0] },
    { name: "each call on its local day", times: ["2026-01-13T18:00:00Z", "2026-01-15T16:00:00Z", "2026-01-15T17:00:00Z"], counts: [1, 0, 2] },
    { name: "an evening call counts on its local day, not UTC's", times: ["2026-01-14T02:00:00Z"], counts: [1, 0, 0] },
    { name: "before the first day or after today: left out", times: ["2026-01-12T12:00:00Z", "2026-01-16T12:00:00Z"], counts: [0, 0, 0] },
  ])("$name", ({ times, counts }) => {
    const days = ["2026-01-13", "2026-01-14", "2026-01-15"];
    expect(bucketByLocalDay(times.map((t) => new Date(t)), days, MX)).toEqual(days.map((day, i) => ({ day, count: counts[i] })));
  });
});
