import { describe, expect, it } from "vitest";
import { DEFAULT_BUSINESS_HOURS, findFreeSlots, localTime } from "../../src/domain/slots";

const MX = "America/Mexico_City";
const base = { timeZone: MX, count: 3, durationMinutes: 60, minLeadMinutes: 120, hours: DEFAULT_BUSINESS_HOURS, horizonDays: 14 };

describe("free slots", () => {
  it("converts local wall-clock time to UTC", () => {
    expect(localTime(2026, 1, 16, 9, MX).toISOString()).toBe("2026-01-16T15:00:00.000Z");
  });

  it("offers one slot per business day, at least two hours ahead, skipping Sundays", () => {
    // Friday 2026-01-16 10:00 local.
    const slots = findFreeSlots({ ...base, now: new Date("2026-01-16T16:00:00Z"), busy: [] });
    expect(slots.map((s) => s.start.toISOString())).toEqual([
      "2026-01-16T18:00:00.000Z", // Fri 12:00
      "2026-01-17T15:00:00.000Z", // Sat 09:00
      "2026-01-19T15:00:00.000Z", // Mon 09:00 (Sunday closed)
    ]);
  });

  it("skips busy times", () => {
    const busy = [{ start: new Date("2026-01-17T15:00:00Z"), end: new Date("2026-01-17T17:00:00Z") }];
    const slots = findFreeSlots({ ...base, now: new Date("2026-01-17T00:00:00Z"), busy });
    expect(slots[0]!.start.toISOString()).toBe("2026-01-17T17:00:00.000Z"); // Sat 11:00
  });
});
