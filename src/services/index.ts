import { createAccountService } from "./account-service";
import { createBoardService } from "./board-service";
import { createCallService, type VoiceSettings } from "./call-service";
import { createCampaignService } from "./campaign-service";
import { createLeadService } from "./lead-service";
import { createLeadTimelineService } from "./lead-timeline-service";
import { createPipelineService } from "./pipeline-service";
import { createTemplateService } from "./template-service";
import type { ServiceDeps } from "./context";

import { createMessageStatusService } from "./message-status-service";
import { createInboxService } from "./inbox-service";

export function createServices(deps: ServiceDeps, voice: VoiceSettings | null = null) {
  const leads = createLeadService(deps);
  return {
    leads,
    pipeline: createPipelineService(deps),
    templates: createTemplateService(deps),
    campaigns: createCampaignService(deps),
    calls: createCallService(deps, voice, leads),
    messageStatus: createMessageStatusService(deps),
    accounts: createAccountService(deps),
    inbox: createInboxService(deps),
    timeline: createLeadTimelineService(deps),
    board: createBoardService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
