/**
 * Instances sharing one database behave as one product: a lease for work one
 * instance at a time may do (Telegram long polling), taken over when its
 * holder dies, and jobs that run once per period whatever the number of
 * instances (the campaign scan).
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { claimScheduledRun, holdLease, pruneScheduledRuns, releaseLease } from "../../db/repositories/coordination-repository";
import type { Database } from "../../db/database";
import type { Clock } from "../clock";
import type { Logger } from "../logger";

/** Claims of past periods are kept this long (for whoever looks at which instance ran what), then pruned. */
const KEEP_CLAIMS_MS = 7 * 86_400_000;

export interface LeaseOptions {
  name: string;
  ttlMs: number;
  /** This instance got the lease: start the work. */
  onAcquired(): Promise<void>;
  /** Another instance holds the lease now (ours expired): stop the work. */
  onLost(): Promise<void>;
}

/** Which instance this process is, as leases and claims record it. */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export function createInstanceCoordination({ database, clock }: { database: Database; clock: Clock }, instanceId: string, log: Logger) {
  return {
    instanceId,

    /**
     * Keeps trying for the lease and renews it while held, every third of its
     * time to live, so a holder that stops renewing (killed, frozen) loses it
     * within one ttl. A database error changes nothing until the next try.
     */
    keepLease(options: LeaseOptions) {
      let held = false;
      let stopped = false;
      let running: Promise<void> = Promise.resolve();
      const tick = async () => {
        let ours: boolean;
        try {
          ours = await database.run((q) => holdLease(q, options.name, instanceId, clock.now(), options.ttlMs));
        } catch (error) {
          log.warn({ err: error, lease: options.name }, "could not renew a lease; trying again");
          return;
        }
        if (stopped || ours === held) return;
        held = ours;
        log.info({ lease: options.name, instance: instanceId }, ours ? "lease acquired" : "lease lost to another instance");
        await (ours ? options.onAcquired() : options.onLost());
      };
      const next = () => (running = running.then(tick).catch((error) => log.error({ err: error, lease: options.name }, "lease change failed")));
      void next();
      const timer = setInterval(next, Math.max(100, Math.floor(options.ttlMs / 3)));
      timer.unref();
      return {
        held: () => held,
        /** Stops the work if it runs, and gives the lease up for the next instance. */
        async stop(): Promise<void> {
          stopped = true;
          clearInterval(timer);
          await running;
          if (!held) return;
          held = false;
          await options.onLost();
          try {
            await database.run((q) => releaseLease(q, options.name, instanceId));
          } catch (error) {
            log.warn({ err: error, lease: options.name }, "could not release a lease; it will expire");
          }
        },
      };
    },

    /** True for the one instance that runs `job` for the period starting at `slot`. */
    claimPeriod(job: string, slot: Date): Promise<boolean> {
      const now = clock.now();
      // Two statements, no transaction: the prune is housekeeping, the claim alone decides.
      return database.run(async (q) => {
        await pruneScheduledRuns(q, new Date(now.getTime() - KEEP_CLAIMS_MS));
        return claimScheduledRun(q, job, slot, instanceId, now);
      });
    },
  };
}

export type InstanceCoordination = ReturnType<typeof createInstanceCoordination>;
