/**
 * Conversaciones: the chats in progress, and one lead's thread where a person takes the chat over
 * from the bot ("Tomar conversación"), writes to the lead on the lead's channel ("Enviar") and hands
 * it back ("Devolver al bot"). New messages arrive through the live feed (conversation.js).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { HIDDEN, type PageKit } from "../deps";
import { isHtmxRequest } from "../views";
import { conversationView, leadName, messageView, takerLabel } from "../conversations";
import { parseInput } from "../parse-input";
import { csrfTokenFor } from "../csrf";
import { actorOf, frameOf, personOf } from "../session-guard";

const leadParams = z.object({ leadId: z.coerce.number({ message: "El lead no es válido." }).int({ message: "El lead no es válido." }).positive({ message: "El lead no es válido." }) });
const afterQuery = z.object({
  despues: z.coerce.number({ message: "«despues» debe ser el id de un mensaje." }).int({ message: "«despues» debe ser el id de un mensaje." }).min(0).default(0),
});
/** Telegram's limit for one message; WhatsApp's is larger. */
const MESSAGE_MAX = 4096;
const messageForm = z.object({
  texto: z
    .string({ message: "Escribe un mensaje antes de enviarlo." })
    .trim()
    .min(1, { message: "Escribe un mensaje antes de enviarlo." })
    .max(MESSAGE_MAX, { message: `El mensaje no puede pasar de ${MESSAGE_MAX} caracteres.` }),
});

const STYLES = ["conversations.css"];
const SCRIPTS = ["live.js", "conversation.js"];

export function conversationsRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  const { inbox } = deps.services;
  const { timeZone } = deps;

  async function listData() {
    const { withPerson, withBot } = await inbox.listConversations();
    return { withPerson: withPerson.map((c) => conversationView(c, timeZone)), withBot: withBot.map((c) => conversationView(c, timeZone)) };
  }

  async function controlsData(request: FastifyRequest, leadId: number) {
    const { lead, takenBy } = await inbox.thread(leadId);
    return { leadId, takenOver: lead.handoff_at !== null, state: lead.handoff_at ? takerLabel(takenBy) : "La atiende el bot", csrf: csrfTokenFor(personOf(request).token) };
  }

  /** After a change: htmx gets the new controls (and conversation.js fetches new messages); a plain form goes back to the thread. */
  async function answerChange(request: FastifyRequest, reply: FastifyReply, leadId: number, problem: string | null = null) {
    if (!isHtmxRequest(request)) return reply.redirect(`/admin/conversaciones/${leadId}`, 303);
    void reply.header("hx-trigger", "prospecta:hilo");
    // `focus`: the message box (or the button that replaced it) takes the focus after the swap.
    return render.fragment(reply, "conversation-controls", { ...(await controlsData(request, leadId)), problem, focus: true });
  }

  admin.get("/conversaciones", HIDDEN, async (request, reply) => {
    return render(reply, "conversations", { ...frameOf(request, "Conversaciones", "conversaciones"), styles: STYLES, scripts: SCRIPTS, ...(await listData()) });
  });

  admin.get("/conversaciones/lista", HIDDEN, async (_request, reply) => {
    return render.fragment(reply, "conversation-list", await listData());
  });

  admin.get("/conversaciones/:leadId", HIDDEN, async (request, reply) => {
    const { leadId } = parseInput(leadParams, request.params);
    const { lead, messages } = await inbox.thread(leadId);
    const name = leadName(lead);
    return render(reply, "conversation", {
      ...frameOf(request, `Conversación con ${name}`, "conversaciones"),
      styles: STYLES,
      scripts: SCRIPTS,
      name,
      leadId,
      messages: messages.map((message) => messageView(message, lead, timeZone)),
      controls: { ...(await controlsData(request, leadId)), problem: null, focus: false },
    });
  });

  admin.get("/conversaciones/:leadId/mensajes", HIDDEN, async (request, reply) => {
    const { leadId } = parseInput(leadParams, request.params);
    const { despues } = parseInput(afterQuery, request.query);
    const { lead } = await inbox.thread(leadId);
    const messages = await inbox.messagesAfter(leadId, despues);
    return render.fragment(reply, "conversation-messages", { messages: messages.map((message) => messageView(message, lead, timeZone)) });
  });

  admin.get("/conversaciones/:leadId/controles", HIDDEN, async (request, reply) => {
    const { leadId } = parseInput(leadParams, request.params);
    return render.fragment(reply, "conversation-controls", { ...(await controlsData(request, leadId)), problem: null, focus: false });
  });

  admin.post("/conversaciones/:leadId/tomar", HIDDEN, async (request, reply) => {
    const { leadId } = parseInput(leadParams, request.params);
    await deps.chat.takeOver(leadId, actorOf(request));
    return answerChange(request, reply, leadId);
  });

  admin.post("/conversaciones/:leadId/mensajes", HIDDEN, async (request, reply) => {
    const { leadId } = parseInput(leadParams, request.params);
    const { texto } = parseInput(messageForm, request.body);
    const sent = await deps.chat.sendFromPerson(leadId, texto, actorOf(request));
    return answerChange(request, reply, leadId, sent.problem);
  });

  admin.post("/conversaciones/:leadId/devolver", HIDDEN, async (request, reply) => {
    const { leadId } = parseInput(leadParams, request.params);
    await deps.chat.handBack(leadId, actorOf(request));
    return answerChange(request, reply, leadId);
  });
}
