/**
 * Leases and once-per-period claims (db/repositories/coordination-repository.ts),
 * written once, on both databases: the database decides between instances.
 */
import { describe, expect, it, vi } from "vitest";
import { holdLease } from "../../db/repositories/coordination-repository";
import { createManualClock } from "../../src/clock";
import { createLogger } from "../../src/logger";
import { createInstanceCoordination } from "../../src/services/instance-coordination";
import { DIALECTS, skipPostgres, useBothDatabases } from "../support/both-databases";

const databaseFor = useBothDatabases();
const log = createLogger("silent");

describe.each(DIALECTS)("%s", (dialect) => {
  const skip = dialect === "postgres" && skipPostgres;
  const instances = () => {
    const clock = createManualClock("2026-03-02T10:00:00Z");
    const deps = { database: databaseFor(dialect), clock };
    return { clock, a: createInstanceCoordination(deps, `a-${dialect}`, log), b: createInstanceCoordination(deps, `b-${dialect}`, log) };
  };

  it.skipIf(skip)("gives a lease to one instance until it stops renewing, then to another", async () => {
    const { a, b } = instances();
    const events: string[] = [];
    const keep = (who: typeof a, name: string) =>
      who.keepLease({
        name: "polling",
        ttlMs: 300,
        onAcquired: async () => void events.push(`${name} acquired`),
        onLost: async () => void events.push(`${name} lost`),
      });
    const first = keep(a, "a");
    await vi.waitFor(() => expect(events).toContain("a acquired"));
    const second = keep(b, "b");
    // b keeps trying while a renews: a's lease never expires on the manual clock.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(events).toEqual(["a acquired"]);
    expect(second.held()).toBe(false);
    // a stops: it gives the lease up, and b takes it on its next try.
    await first.stop();
    await vi.waitFor(() => expect(events).toContain("b acquired"));
    expect(events).toEqual(["a acquired", "a lost", "b acquired"]);
    await second.stop();
  });

  it.skipIf(skip)("stops the work of a holder that froze past its lease once another instance has taken it", async () => {
    const { clock, a, b } = instances();
    const events: string[] = [];
    // Tries a second apart, so b's take cannot race a's renewal.
    const kept = a.keepLease({
      name: "frozen",
      ttlMs: 3000,
      onAcquired: async () => void events.push("a acquired"),
      onLost: async () => void events.push("a lost"),
    });
    await vi.waitFor(() => expect(events).toEqual(["a acquired"]));
    // a stops renewing in time (a long pause), its lease expires, and b takes it before a's next try.
    clock.advance(10_000);
    expect(await databaseFor(dialect).run((q) => holdLease(q, "frozen", b.instanceId, clock.now(), 3000))).toBe(true);
    await vi.waitFor(() => expect(events).toEqual(["a acquired", "a lost"]), { timeout: 3000 });
    expect(kept.held()).toBe(false);
    await kept.stop();
  });

  it.skipIf(skip)("takes a lease over once its holder's has expired", async () => {
    const { clock, a, b } = instances();
    const database = databaseFor(dialect);
    expect(await database.run((q) => holdLease(q, "expiring", a.instanceId, clock.now(), 1000))).toBe(true);
    expect(await database.run((q) => holdLease(q, "expiring", b.instanceId, clock.now(), 1000))).toBe(false);
    clock.advance(999);
    expect(await database.run((q) => holdLease(q, "expiring", b.instanceId, clock.now(), 1000))).toBe(false);
    clock.advance(2);
    expect(await database.run((q) => holdLease(q, "expiring", b.instanceId, clock.now(), 1000))).toBe(true);
    expect(await database.run((q) => holdLease(q, "expiring", a.instanceId, clock.now(), 1000))).toBe(false);
  });

  it.skipIf(skip)("lets one instance claim each period of a job", async () => {
    const { a, b } = instances();
    const slot = new Date("2026-03-02T10:00:00Z");
    const claims = await Promise.all([a.claimPeriod("scan", slot), b.claimPeriod("scan", slot), a.claimPeriod("scan", slot)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await b.claimPeriod("scan", new Date(slot.getTime() + 3_600_000))).toBe(true);
    expect(await b.claimPeriod("other-job", slot)).toBe(true);
  });
});
