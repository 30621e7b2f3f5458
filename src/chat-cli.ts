/**
 * `npm run chat`: talk to the agents as a lead, in the terminal. Uses the
 * offline agent, or the LLM when OPENAI_API_KEY is set; after each message it
 * shows what was understood and the lead's stage. Works on DATABASE_URL
 * (default ./data/prospecta.db), as a Telegram chat would.
 */
import { createInterface } from "node:readline/promises";
import { loadConfig } from "./config";
import { formatBudget } from "./domain/templates";
import { STAGE_LABELS } from "./domain/vocabulary";
import { buildProspecta } from "./prospecta";

const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" });
const prospecta = await buildProspecta(config);
const chatId = -Math.floor(Date.now() / 1000); // a chat id no real Telegram user has
const identity = { chatId, firstName: process.env.USER, username: "terminal" };

const terminal = createInterface({ input: process.stdin, output: process.stdout });
console.log(`Chat con el agente (${prospecta.conversation.agentKind === "openai" ? "modelo" : "sin conexión"}). Escribe "salir" para terminar.\n`);
console.log(`Agente: ${prospecta.conversation.startChat(identity, "terminal").reply}\n`);

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
  const turn = await prospecta.conversation.handleMessage(identity, text, null);
  if (turn.reply) console.log(`Agente: ${turn.reply}`);
  const lead = turn.lead;
  const profile = [
    lead.property_type,
    lead.location && `en ${lead.location}`,
    formatBudget(lead.budget_min, lead.budget_max, lead.currency),
    lead.credit_type && `pago: ${lead.credit_type}`,
    lead.monthly_income && `ingreso ${lead.monthly_income}`,
  ].filter(Boolean);
  console.log(`  [etapa: ${STAGE_LABELS[lead.pipeline_stage]}${turn.moved_to.length ? ` (avanzó a ${turn.moved_to.join(" → ")})` : ""} · puntuación ${lead.score}${lead.financially_approved ? " · aprobado" : ""}${profile.length ? ` · ${profile.join(", ")}` : ""}]\n`);
  terminal.prompt();
}
terminal.close();
await prospecta.close();
