/**
 * `npm run chat [-- --channel whatsapp]`: talk to the agents as a lead, in the
 * terminal, through the same chat core the bot and WhatsApp use (the terminal
 * is one more channel port). Uses the offline agent, or the LLM when
 * OPENAI_API_KEY is set; after each message it shows the lead's stage and what
 * was understood. Works on DATABASE_URL (default ./data/prospecta.db).
 */
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import type { ChannelPort } from "./channels/channel-port";
import { loadConfig } from "./config";
import { formatBudget } from "./domain/templates";
import { STAGE_LABELS } from "./domain/vocabulary";
import { buildProspecta } from "./prospecta";
import type { ChatIdentity } from "./services/conversation-service";

const { values } = parseArgs({ options: { channel: { type: "string", default: "telegram" } } });
if (values.channel !== "telegram" && values.channel !== "whatsapp") {
  console.error("Uso: npm run chat [-- --channel telegram|whatsapp]");
  process.exit(2);
}
const channel = values.channel;

const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" });
const prospecta = await buildProspecta(config);
const stamp = Math.floor(Date.now() / 1000);
// Addresses no real user has: a negative Telegram chat, a WhatsApp number in a reserved range.
const identity: ChatIdentity =
  channel === "telegram"
    ? { channel, address: String(-stamp), firstName: process.env.USER, username: "terminal" }
    : { channel, address: `52100${String(stamp).slice(-8)}`, phone: `+52100${String(stamp).slice(-8)}`, firstName: process.env.USER };

const say = (text: string) => console.log(`Agente: ${text}`);
const terminalPort: ChannelPort = {
  channel,
  async sendText(_lead, text) {
    say(text);
    return { externalId: null };
  },
  async sendChoices(_lead, text, choices) {
    say(`${text}\n${choices.map((choice, index) => `  ${index + 1}. ${choice.label}`).join("\n")}\n  (responde con el número)`);
    return { externalId: null };
  },
  async typing() {},
};

const terminal = createInterface({ input: process.stdin, output: process.stdout });
console.log(`Chat con el agente por ${channel === "telegram" ? "Telegram" : "WhatsApp"} (${prospecta.conversation.agentKind === "openai" ? "modelo" : "sin conexión"}). Escribe "salir" para terminar.\n`);
if (channel === "telegram") await prospecta.chat.start(terminalPort, identity, "terminal");
console.log("");

terminal.setPrompt("Tú: ");
terminal.prompt();
// Line by line (works typed or piped: `printf "hola\n" | npm run chat`).
for await (const line of terminal) {
  const text = line.trim();
  if (/^(salir|exit|quit)$/i.test(text)) break;
  if (!text) {
    terminal.prompt();
    continue;
  }
  await prospecta.chat.receiveText(terminalPort, identity, text, null);
  const { lead } = await prospecta.conversation.findOrCreateLead(identity);
  const profile = [
    lead.property_type,
    lead.location && `en ${lead.location}`,
    formatBudget(lead.budget_min, lead.budget_max, lead.currency),
    lead.credit_type && `pago: ${lead.credit_type}`,
    lead.monthly_income && `ingreso ${lead.monthly_income}`,
  ].filter(Boolean);
  console.log(`  [etapa: ${STAGE_LABELS[lead.pipeline_stage]} · puntuación ${lead.score}${lead.financially_approved ? " · aprobado" : ""}${profile.length ? ` · ${profile.join(", ")}` : ""}]\n`);
  terminal.prompt();
}
terminal.close();
await prospecta.close();
