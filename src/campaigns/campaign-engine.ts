/**
 * The campaign engine: enrolls leads when triggers match, and runs their due
 * steps. Event-driven for stage entries and activations (steps due at once run
 * within moments), plus full passes from the scheduler or POST /campaigns/run.
 */
import type { Db } from "../../db/client";
import { findCampaign, findFirstStep, listActiveCampaigns, listActiveStageCampaigns } from "../../db/repositories/campaigns-repository";
import { enrollMatchingLeads, exitIneligibleEnrollments } from "../../db/repositories/enrollments-repository";
import type { Campaign } from "../../db/schema";
import type { Clock } from "../clock";
import type { Logger } from "../logger";
import type { StageEntered } from "../services/lead-events";
import type { RunSummary, StepRunner } from "./step-runner";

export interface CampaignEngineDeps {
  db: Db;
  clock: Clock;
  runner: StepRunner;
  log: Logger;
}

export interface ScanSummary {
  enrolled: number;
  exited: number;
}

export function createCampaignEngine({ db, clock, runner, log }: CampaignEngineDeps) {
  let running: Promise<RunSummary> | null = null;
  let again = false;

  function enroll(campaign: Campaign, leadId?: number): number {
    const first = findFirstStep(db, campaign.id);
    return first ? enrollMatchingLeads(db, campaign, first, clock.now(), leadId) : 0;
  }

  /** Runs due steps; a call while a run is going on makes that run go once more instead of overlapping it. */
  function runDue(): Promise<RunSummary> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      const total = emptyRun();
      try {
        do {
          again = false;
          addInto(total, await runner.runDueSteps());
        } while (again);
        return total;
      } finally {
        running = null;
      }
    })();
    return running;
  }

  /** Fire-and-forget run after an event; failures are logged, never thrown at the caller. */
  function kick(): void {
    runDue().catch((error) => log.error({ err: error }, "campaign run failed"));
  }

  return {
    /** Enrolls every lead that matches an active campaign, and ends enrollments that no longer qualify. */
    scanTriggers(): ScanSummary {
      return db.transaction(() => {
        const exited = exitIneligibleEnrollments(db, clock.now());
        let enrolled = 0;
        for (const campaign of listActiveCampaigns(db)) enrolled += enroll(campaign);
        return { enrolled, exited };
      });
    },

    /** A lead entered a stage: end enrollments it no longer qualifies for, enroll it where the stage fires. */
    handleStageEntered(event: StageEntered): void {
      db.transaction(() => {
        exitIneligibleEnrollments(db, clock.now(), event.lead.id);
        for (const campaign of listActiveStageCampaigns(db, event.to_stage)) enroll(campaign, event.lead.id);
      });
      kick();
    },

    /** A campaign became active: leads that already match enroll now (e.g. those already in its stage). */
    handleCampaignActivated(campaignId: number): void {
      const campaign = findCampaign(db, campaignId);
      if (campaign?.status !== "active") return;
      const enrolled = db.transaction(() => enroll(campaign));
      log.info({ campaign_id: campaignId, enrolled }, "campaign activated");
      kick();
    },

    runDue,

    /** One full pass: scan triggers, then run everything due. */
    async runPass(): Promise<{ scan: ScanSummary; run: RunSummary }> {
      const scan = this.scanTriggers();
      const run = await runDue();
      return { scan, run };
    },

    /** Resolves when no run is in progress (tests and shutdown wait on it). */
    async idle(): Promise<void> {
      while (running) await running.catch(() => undefined);
    },
  };
}

export type CampaignEngine = ReturnType<typeof createCampaignEngine>;

function emptyRun(): RunSummary {
  return { success: 0, failed: 0, skipped: 0, exited: 0, completed: 0, postponed: 0, recovered: 0 };
}

function addInto(total: RunSummary, part: RunSummary): void {
  for (const key of Object.keys(total) as (keyof RunSummary)[]) total[key] += part[key];
}
