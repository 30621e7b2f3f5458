/** What the Conversaciones pages show of leads and messages, in Spanish and in the agency's time zone. */
import type { Lead, Message } from "../db/schema";
import { CONTACT_CHANNEL_LABELS } from "../src/domain/contact-channels";
import { dateTimeFormat } from "../src/domain/intl-formats";
import { VOICE_ACTOR } from "../src/services/call-results-service";
import { LEAD_ACTOR } from "../src/services/conversation-service";
import type { ConversationSummary } from "../src/services/inbox-service";

export interface MessageView {
  id: number;
  inbound: boolean;
  /** Who wrote it: the lead's name, "Bot (perfilador)", or the person who sent it from here. */
  author: string;
  channel: string;
  text: string;
  at: string;
  atIso: string;
  /** Set when the channel did not deliver it (shown as text, not only as a colour). */
  failed: string | null;
}

export interface ConversationView {
  leadId: number;
  name: string;
  /** "Con asesor (ana@agencia.mx)", "Pidió un asesor", "Con el bot". */
  state: string;
  lastText: string | null;
  lastAt: string | null;
  lastAtIso: string | null;
}

/** Who a handoff's actor is, as a person reads it. */
export function takerLabel(actor: string | null): string {
  if (actor === null) return "Con asesor";
  if (actor.startsWith("web:")) return `Con asesor (${actor.slice(4)})`;
  if (actor === LEAD_ACTOR) return "Pidió un asesor";
  if (actor === VOICE_ACTOR) return "Pidió un asesor en una llamada";
  return `Con asesor (${actor})`;
}

export function leadName(lead: Pick<Lead, "id" | "name">): string {
  return lead.name ?? `Lead #${lead.id}`;
}

function formatWhen(at: Date, timeZone: string): string {
  return dateTimeFormat("es-MX", { timeZone, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(at);
}

export function messageView(message: Message, lead: Pick<Lead, "id" | "name">, timeZone: string): MessageView {
  const inbound = message.direction === "inbound";
  const author = inbound ? leadName(lead) : message.sent_by ? `${message.sent_by.replace(/^web:/, "")} (asesor)` : `Bot (${message.agent_type ?? "asistente"})`;
  const failed = message.status === "failed" || message.status === "undelivered" ? `No entregado${message.error_code ? `: ${message.error_code}` : ""}` : null;
  return {
    id: message.id,
    inbound,
    author,
    channel: CONTACT_CHANNEL_LABELS[message.channel],
    text: message.text,
    at: formatWhen(message.at, timeZone),
    atIso: message.at.toISOString(),
    failed,
  };
}

export function conversationView(summary: ConversationSummary, timeZone: string): ConversationView {
  const last = summary.lastMessage;
  return {
    leadId: summary.lead.id,
    name: leadName(summary.lead),
    state: summary.lead.handoff_at ? takerLabel(summary.takenBy) : "Con el bot",
    lastText: last ? (last.text.length > 140 ? `${last.text.slice(0, 139)}…` : last.text) : null,
    lastAt: last ? formatWhen(last.at, timeZone) : null,
    lastAtIso: last ? last.at.toISOString() : null,
  };
}
