/** Message templates: CRUD, variable extraction and preview rendering for a lead. */
import {
  campaignsUsingTemplate,
  findTemplate,
  insertTemplate,
  listTemplates,
  updateTemplateRow,
} from "../../db/repositories/templates-repository";
import { findCurrentAppointment, findLead } from "../../db/repositories/leads-repository";
import { insertAudit } from "../../db/repositories/audit-repository";
import type { Executor } from "../../db/executor";
import type { MessageTemplate } from "../../db/schema";
import { ConflictError, NotFoundError } from "../errors";
import { extractVariables, isKnownVariable, renderTemplate, templateValuesFor, TEMPLATE_VARIABLES } from "../domain/templates";
import type { Channel } from "../domain/vocabulary";
import type { Actor, ServiceDeps } from "./context";

export interface TemplateFields {
  name: string;
  channel: Channel;
  content: string;
  agent_type?: string | null | undefined;
  variables?: string[] | undefined;
  whatsapp_content_sid?: string | null | undefined;
  whatsapp_variables?: string[] | null | undefined;
}

export function createTemplateService({ db, clock, timeZone }: ServiceDeps) {
  async function requireTemplate(tx: Executor, id: number): Promise<MessageTemplate> {
    const template = await findTemplate(tx, id);
    if (!template) throw new NotFoundError("una plantilla", id);
    return template;
  }

  return {
    createTemplate(fields: TemplateFields, actor: Actor): Promise<MessageTemplate & { warnings: string[] }> {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const { variables, warnings } = resolveVariables(fields.content, fields.variables);
        const template = await insertTemplate(tx, {
          name: fields.name,
          channel: fields.channel,
          content: fields.content,
          agent_type: fields.agent_type ?? null,
          variables,
          whatsapp_content_sid: fields.whatsapp_content_sid ?? null,
          whatsapp_variables: fields.whatsapp_variables ?? null,
          created_at: now,
          updated_at: now,
        });
        await insertAudit(tx, { actor, action: "template.create", entity: "template", entity_id: template.id, after: template }, now);
        return { ...template, warnings };
      });
    },

    getTemplate: (id: number) => db.run((q) => requireTemplate(q, id)),
    listTemplates: () => db.run((q) => listTemplates(q)),

    updateTemplate(id: number, fields: Partial<TemplateFields>, actor: Actor): Promise<MessageTemplate & { warnings: string[] }> {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const before = await requireTemplate(tx, id);
        const content = fields.content ?? before.content;
        // New content without an explicit list re-extracts the variables, so they never go stale.
        const { variables, warnings } =
          fields.variables !== undefined || fields.content !== undefined
            ? resolveVariables(content, fields.variables)
            : { variables: before.variables, warnings: [] };
        if (fields.channel && fields.channel !== before.channel) {
          const users = (await campaignsUsingTemplate(tx, id)).filter((c) => c.channel !== fields.channel);
          if (users.length) {
            throw new ConflictError(`La plantilla la usan campañas del canal ${before.channel}: ${describe(users)}`);
          }
        }
        const updated = await updateTemplateRow(tx, id, {
          ...(fields.name !== undefined && { name: fields.name }),
          ...(fields.channel !== undefined && { channel: fields.channel }),
          ...(fields.agent_type !== undefined && { agent_type: fields.agent_type }),
          ...(fields.whatsapp_content_sid !== undefined && { whatsapp_content_sid: fields.whatsapp_content_sid }),
          ...(fields.whatsapp_variables !== undefined && { whatsapp_variables: fields.whatsapp_variables }),
          content,
          variables,
          updated_at: now,
        });
        await insertAudit(tx, { actor, action: "template.update", entity: "template", entity_id: id, before, after: updated }, now);
        return { ...updated, warnings };
      });
    },

    /** Refused while a campaign that may still run (not archived) sends it. */
    async deleteTemplate(id: number, actor: Actor): Promise<void> {
      await db.transaction(async (tx) => {
        const now = clock.now();
        const template = await requireTemplate(tx, id);
        const users = await campaignsUsingTemplate(tx, id);
        if (users.length) {
          throw new ConflictError(`No se puede borrar: la usan estas campañas: ${describe(users)}. Archívalas o cambia sus pasos primero`);
        }
        await updateTemplateRow(tx, id, { deleted_at: now, updated_at: now });
        await insertAudit(tx, { actor, action: "template.delete", entity: "template", entity_id: id, before: template }, now);
      });
    },

    /** What the lead would receive, without sending anything. */
    renderForLead(id: number, leadId: number) {
      return db.run(async (q) => {
        const template = await requireTemplate(q, id);
        const lead = await findLead(q, leadId);
        if (!lead) throw new NotFoundError("un lead", leadId);
        const appointment = await findCurrentAppointment(q, leadId, clock.now());
        const rendered = renderTemplate(template.content, templateValuesFor(lead, appointment, timeZone));
        return { template_id: id, lead_id: leadId, channel: template.channel, content: rendered.text, missing_variables: rendered.missing };
      });
    },
  };
}

export type TemplateService = ReturnType<typeof createTemplateService>;

/**
 * The template's variables (declared, or found in the content) and warnings
 * for names we cannot fill: saving still works, and such a variable renders
 * its fallback (an empty text) so a lead never sees it raw.
 */
function resolveVariables(content: string, declared: string[] | undefined): { variables: string[]; warnings: string[] } {
  const used = extractVariables(content);
  const variables = [...new Set([...(declared ?? []), ...used])];
  const warnings: string[] = [];
  for (const name of variables) {
    if (!isKnownVariable(name)) {
      warnings.push(`Variable desconocida {{${name}}}: se mostrará vacía. Disponibles: ${Object.keys(TEMPLATE_VARIABLES).join(", ")}`);
    }
  }
  for (const name of used) {
    if (declared && !declared.includes(name)) warnings.push(`El contenido usa {{${name}}} pero no estaba en variables; se agregó`);
  }
  return { variables, warnings };
}

function describe(campaigns: { id: number; name: string; status: string }[]): string {
  return campaigns.map((c) => `#${c.id} "${c.name}" (${c.status})`).join(", ");
}
