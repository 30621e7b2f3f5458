/**
 * Plantillas: list, create, edit and delete message templates (admins), and a preview of a template
 * rendered for a lead chosen by a search (anyone signed in). Every change is one call to the template
 * service, audited as web:<email>, as the API's are.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { MessageTemplate } from "../../db/schema";
import { AGENT_TYPES, CHANNELS, STAGE_LABELS, agentTypeOrDefault } from "../../src/domain/vocabulary";
import { isKnownVariable, TEMPLATE_VARIABLES } from "../../src/domain/templates";
import { HIDDEN, type PageKit, type DashboardDeps } from "../deps";
import { AGENT_LABELS, CHANNEL_LABELS } from "../campaign-labels";
import { idFrom } from "../campaign-forms";
import { redirectAfterChange } from "../form-input";
import { editedTemplateFrom, newTemplateFrom, previewQueryFrom } from "../template-forms";
import { actorOf, frameOf, personOf, requireAdmin } from "../session-guard";

const ADMIN_ONLY = { ...HIDDEN, preHandler: requireAdmin };
const STYLES = ["campaigns.css"];
/** Leads shown per search. */
const SEARCH_LIMIT = 10;

const isAdmin = (request: FastifyRequest) => personOf(request).user.role === "admin";
const templateId = (request: FastifyRequest) => idFrom((request.params as { id?: unknown }).id, "Plantilla");

function templateRow(template: MessageTemplate) {
  return {
    id: template.id,
    name: template.name,
    channel: CHANNEL_LABELS[template.channel],
    agent: template.agent_type ? AGENT_LABELS[agentTypeOrDefault(template.agent_type)] : "Cualquiera",
    content: template.content,
    variables: template.variables.map((name) => ({ name, known: isKnownVariable(name) })),
    whatsappSid: template.whatsapp_content_sid,
  };
}

function templateForm(template: MessageTemplate | null) {
  return {
    values: {
      name: template?.name ?? "",
      channel: template?.channel ?? "telegram",
      content: template?.content ?? "",
      agent_type: template?.agent_type ?? "",
      whatsapp_content_sid: template?.whatsapp_content_sid ?? "",
      whatsapp_variables: template?.whatsapp_variables?.join(", ") ?? "",
    },
    channels: CHANNELS.map((value) => ({ value, label: CHANNEL_LABELS[value] })),
    agents: AGENT_TYPES.map((value) => ({ value, label: AGENT_LABELS[value] })),
    catalogue: Object.entries(TEMPLATE_VARIABLES).map(([name, v]) => ({ name, description: v.description })),
  };
}

/** Leads matching a search, for choosing whose data fills the preview. */
async function searchLeads(deps: DashboardDeps, q: string | undefined) {
  if (!q) return null;
  const { items, total } = await deps.services.leads.listLeads({ q, skip: 0, limit: SEARCH_LIMIT });
  return { q, total, items: items.map((lead) => ({ id: lead.id, name: lead.name ?? `Lead #${lead.id}`, stage: STAGE_LABELS[lead.pipeline_stage] })) };
}

async function previewFor(deps: DashboardDeps, id: number, leadId: number | undefined) {
  if (leadId === undefined) return null;
  const [preview, lead] = await Promise.all([deps.services.templates.renderForLead(id, leadId), deps.services.leads.requireLead(leadId)]);
  return { ...preview, leadName: lead.name ?? `Lead #${lead.id}` };
}

export function templateRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  const { templates } = deps.services;

  admin.get("/plantillas", HIDDEN, async (request, reply) => {
    const rows = (await templates.listTemplates()).map(templateRow);
    return render(reply, "templates", { ...frameOf(request, "Plantillas", "plantillas"), styles: STYLES, templates: rows, isAdmin: isAdmin(request) });
  });

  admin.get("/plantillas/nueva", ADMIN_ONLY, async (request, reply) =>
    render(reply, "template-form", { ...frameOf(request, "Nueva plantilla", "plantillas"), styles: STYLES, ...templateForm(null), action: "/admin/plantillas/nueva", templateId: null }),
  );

  admin.post("/plantillas/nueva", ADMIN_ONLY, async (request, reply) => {
    const created = await templates.createTemplate(newTemplateFrom(request), actorOf(request));
    return redirectAfterChange(request, reply, `/admin/plantillas/${created.id}`);
  });

  // The template and its preview; without JavaScript the search and the choice of lead are plain GETs of this page.
  admin.get("/plantillas/:id", HIDDEN, async (request, reply) => {
    const id = templateId(request);
    const query = previewQueryFrom(request);
    const [template, results, preview] = await Promise.all([templates.getTemplate(id), searchLeads(deps, query.q), previewFor(deps, id, query.lead_id)]);
    return render(reply, "template", {
      ...frameOf(request, template.name, "plantillas"),
      styles: STYLES,
      template: templateRow(template),
      q: query.q ?? "",
      results,
      preview,
      isAdmin: isAdmin(request),
    });
  });

  admin.get("/plantillas/:id/leads", HIDDEN, async (request, reply) => {
    const id = templateId(request);
    return render.fragment(reply, "template-lead-results", { templateId: id, results: await searchLeads(deps, previewQueryFrom(request).q) });
  });

  admin.get("/plantillas/:id/vista-previa", HIDDEN, async (request, reply) => {
    const id = templateId(request);
    return render.fragment(reply, "template-preview", { preview: await previewFor(deps, id, previewQueryFrom(request).lead_id) });
  });

  admin.get("/plantillas/:id/editar", ADMIN_ONLY, async (request, reply) => {
    const template = await templates.getTemplate(templateId(request));
    return render(reply, "template-form", {
      ...frameOf(request, `Editar ${template.name}`, "plantillas"),
      styles: STYLES,
      ...templateForm(template),
      action: `/admin/plantillas/${template.id}/editar`,
      templateId: template.id,
    });
  });

  admin.post("/plantillas/:id/editar", ADMIN_ONLY, async (request, reply) => {
    const id = templateId(request);
    await templates.updateTemplate(id, editedTemplateFrom(request), actorOf(request));
    return redirectAfterChange(request, reply, `/admin/plantillas/${id}`);
  });

  admin.post("/plantillas/:id/borrar", ADMIN_ONLY, async (request, reply) => {
    await templates.deleteTemplate(templateId(request), actorOf(request));
    return redirectAfterChange(request, reply, "/admin/plantillas");
  });
}
