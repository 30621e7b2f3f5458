/** The dispatch guard: a handler's exception, thrown or rejected, is logged and counted, never rethrown. */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger";
import { createDispatchGuard, type Surface } from "../../src/observability/dispatch-guard";

function guardWithRecords() {
  const lines: Record<string, unknown>[] = [];
  const counted: Surface[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const guard = createDispatchGuard(createLogger("info", sink), { count: (surface) => counted.push(surface) });
  return { guard, lines, counted };
}

describe("the dispatch guard", () => {
  it("survives a handler that throws, logging the surface and the ids given", () => {
    const { guard, lines, counted } = guardWithRecords();
    expect(() => guard.run("media_stream", { call_id: 7 }, () => { throw new Error("boom"); })).not.toThrow();
    expect(counted).toEqual(["media_stream"]);
    expect(lines[0]).toMatchObject({ surface: "media_stream", call_id: 7, msg: "inbound handler failed; skipped" });
  });

  it("survives a handler whose promise rejects", async () => {
    const { guard, counted } = guardWithRecords();
    guard.run("realtime", {}, async () => { throw new Error("later"); });
    await new Promise((resolve) => setImmediate(resolve));
    expect(counted).toEqual(["realtime"]);
  });

  it("counts nothing when the handler succeeds", async () => {
    const { guard, counted } = guardWithRecords();
    let ran = false;
    guard.run("scheduled_job", {}, () => { ran = true; });
    guard.run("scheduled_job", {}, async () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toBe(true);
    expect(counted).toEqual([]);
  });
});
