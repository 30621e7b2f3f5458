import { createCallService } from "./call-service";
import { createCampaignService } from "./campaign-service";
import { createLeadService } from "./lead-service";
import { createPipelineService } from "./pipeline-service";
import { createTemplateService } from "./template-service";
import type { ServiceDeps } from "./context";

export function createServices(deps: ServiceDeps) {
  return {
    leads: createLeadService(deps),
    pipeline: createPipelineService(deps),
    templates: createTemplateService(deps),
    campaigns: createCampaignService(deps),
    calls: createCallService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
