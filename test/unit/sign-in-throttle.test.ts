import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/clock";
import { isLocked, recordFailure, throttleKeys, type FailureWindow } from "../../src/domain/sign-in-throttle";
import { minutes, START, THROTTLE_CASES } from "../support/sign-in-throttle-cases";

describe("the sign-in throttle", () => {
  it.each(THROTTLE_CASES)("$name", ({ limit, failures, after, lockedAt }) => {
    const clock = createManualClock(START);
    let key: FailureWindow | undefined;
    for (const at of failures) {
      clock.set(minutes(at));
      key = recordFailure(key, clock.now(), limit);
    }
    expect(key).toEqual({
      failures: after.failures,
      window_started_at: minutes(after.window_started_at),
      locked_until: after.locked_until === null ? null : minutes(after.locked_until),
    });
    for (const [at, locked] of Object.entries(lockedAt)) {
      clock.set(minutes(Number(at)));
      expect(isLocked(key, clock.now()), `at minute ${at}`).toBe(locked);
    }
  });

  it("counts an e-mail per address and the address alone, with their own limits", () => {
    expect(throttleKeys("ana@agencia.mx", "203.0.113.7")).toEqual({
      emailAndIp: { key: "correo:ana@agencia.mx|ip:203.0.113.7", limit: 5 },
      ip: { key: "ip:203.0.113.7", limit: 20 },
    });
  });

  it("leaves a key never seen open", () => {
    expect(isLocked(undefined, START)).toBe(false);
  });
});
