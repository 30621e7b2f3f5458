/**
 * On PostgreSQL each due step has a job (src/jobs/graphile-engine.ts); a job
 * that comes up starts a run of every due step, or joins the one in progress
 * (campaign-engine's runStepJob). Checked here against a runner whose runs the
 * test starts and ends by hand.
 */
import { describe, expect, it } from "vitest";
import type { Database } from "../../db/database";
import { createCampaignEngine } from "../../src/campaigns/campaign-engine";
import type { RunSummary, StepRunner } from "../../src/campaigns/step-runner";
import { createLogger } from "../../src/logger";

const NOTHING_RAN: RunSummary = { success: 0, failed: 0, skipped: 0, needs_review: 0, exited: 0, completed: 0, postponed: 0, recovered: 0 };

/** A runner whose runs end (or fail) when the test says; `started` counts the runs begun. */
function handRunRunner() {
  const runs: { end: () => void; fail: (error: Error) => void }[] = [];
  const runner = {
    runDueSteps: () =>
      new Promise<RunSummary>((resolve, reject) => runs.push({ end: () => resolve(NOTHING_RAN), fail: reject })),
  };
  return { runner: runner as unknown as StepRunner, runs };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function engineWith(runner: StepRunner) {
  // The runs asked for here touch no database: the runner stands in for it.
  return createCampaignEngine({ db: {} as Database, clock: { now: () => new Date() }, runner, log: createLogger("silent") });
}

describe("step jobs share runs", () => {
  it("a job starts a run and resolves when it ends", async () => {
    const { runner, runs } = handRunRunner();
    const engine = engineWith(runner);
    let done = false;
    const job = engine.runStepJob(60_000).then(() => (done = true));
    await settle();
    expect(runs).toHaveLength(1);
    expect(done).toBe(false);
    runs[0]!.end();
    await job;
    expect(runs).toHaveLength(1);
  });

  it("jobs that come up during a run share one run after it, which starts after them (their steps may have become due after the first run read what was due)", async () => {
    const { runner, runs } = handRunRunner();
    const engine = engineWith(runner);
    const first = engine.runStepJob(60_000);
    await settle();
    const resolved: number[] = [];
    const late = [1, 2, 3].map((job) => engine.runStepJob(60_000).then(() => resolved.push(job)));
    runs[0]!.end();
    await first;
    await settle();
    expect(resolved).toEqual([]);
    expect(runs).toHaveLength(2);
    runs[1]!.end();
    await Promise.all(late);
    expect(resolved).toEqual([1, 2, 3]);
    expect(runs).toHaveLength(2);
  });

  it("a failed run fails the jobs waiting on it, so the job engine tries them again", async () => {
    const { runner, runs } = handRunRunner();
    const engine = engineWith(runner);
    const job = engine.runStepJob(60_000);
    await settle();
    runs[0]!.fail(new Error("database gone"));
    await expect(job).rejects.toThrow("database gone");
  });

  it("a job lets its slot go after the longest wait while the run goes on", async () => {
    const { runner, runs } = handRunRunner();
    const engine = engineWith(runner);
    await engine.runStepJob(20);
    expect(runs).toHaveLength(1);
    runs[0]!.end();
    await engine.idle();
  });
});
