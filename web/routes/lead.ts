/**
 * The Lead page: the profile, the score line by line, and the lead's whole story as one timeline,
 * newest first. "Ver más" and a call's transcript load on demand (htmx).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Lead } from "../../db/schema";
import { formatTimelineCursor, parseTimelineCursor, type TimelineCursor } from "../../src/domain/lead-timeline";
import { NotFoundError } from "../../src/errors";
import { HIDDEN, type DashboardDeps, type PageKit } from "../deps";
import { formatDateTime } from "../display";
import { leadName, profileRows, scoreGroups, timelineItem } from "../lead-page";
import { parseInput } from "../parse-input";
import { frameOf } from "../session-guard";

const recordId = (what: string) =>
  z.coerce.number({ error: `El número de ${what} no es válido.` }).int(`El número de ${what} no es válido.`).positive(`El número de ${what} no es válido.`).max(2 ** 31 - 1, `El número de ${what} no es válido.`);

const leadParams = z.object({ id: recordId("lead") });
const callParams = z.object({ id: recordId("lead"), callId: recordId("llamada") });
const historyQuery = z.object({
  antes: z
    .string()
    .max(64)
    .transform((text, ctx) => {
      const cursor = parseTimelineCursor(text);
      if (!cursor) ctx.addIssue({ code: "custom", message: "No se reconoce desde dónde seguir el historial; recarga la página." });
      return cursor ?? z.NEVER;
    }),
});

export function leadRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  admin.get("/leads/:id", HIDDEN, async (request, reply) => {
    const { id } = parseInput(leadParams, request.params);
    const { lead, score } = await deps.services.leads.getLeadWithScore(id);
    const timeline = await readTimeline(deps, lead, null);
    return render(reply, "lead", {
      ...frameOf(request, leadName(lead), "tablero"),
      styles: ["lead.css"],
      lead: { id: lead.id, name: leadName(lead), stored_score: lead.score },
      profile: profileRows(lead, deps.timeZone),
      score: { total: score.total, groups: scoreGroups(score.lines) },
      timeline,
    });
  });

  // "Ver más": the next (older) entries, and the next "Ver más" when some are left.
  admin.get("/leads/:id/historial", HIDDEN, async (request, reply) => {
    const { id } = parseInput(leadParams, request.params);
    const { antes } = parseInput(historyQuery, request.query, { message: "No se pudo cargar más historial." });
    const lead = await deps.services.leads.requireLead(id);
    return render.fragment(reply, "lead-timeline-items", await readTimeline(deps, lead, antes));
  });

  // A call's transcript, loaded when its details are opened.
  admin.get("/leads/:id/llamadas/:callId", HIDDEN, async (request, reply) => {
    const { id, callId } = parseInput(callParams, request.params);
    const call = await deps.services.calls.getCallWithTranscript(callId);
    if (call.lead_id !== id) throw new NotFoundError("una llamada de este lead", callId);
    return render.fragment(reply, "lead-call-transcript", {
      lines: call.transcript.map((line) => ({
        speaker: line.speaker === "agent" ? "Agente" : "Lead",
        text: line.text,
        when: formatDateTime(line.at, deps.timeZone),
        iso: line.at.toISOString(),
      })),
    });
  });
}

async function readTimeline(deps: DashboardDeps, lead: Lead, before: TimelineCursor | null) {
  const page = await deps.services.timeline.getLeadTimeline(lead.id, { before });
  return {
    leadId: lead.id,
    items: page.entries.map((entry) => timelineItem(entry, lead, deps.timeZone)),
    next: page.next ? formatTimelineCursor(page.next) : null,
  };
}
