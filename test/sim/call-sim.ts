/**
 * `npm run call:sim -- --lead <id> [--say "texto del cliente"]`: a whole AI call
 * on this machine, with no phone and no keys. It runs the product on your
 * DATABASE_URL with a local fake Twilio and a local fake OpenAI Realtime server,
 * plays Twilio's side of the Media Stream (generated μ-law audio) into
 * /voice/stream, makes the "caller" say the given text, hangs up, and prints the
 * transcript, the summary and where the lead ended up.
 */
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { loadConfig } from "../../src/config";
import { buildProspecta } from "../../src/prospecta";
import { connectMediaStream } from "../fakes/media-streams-client";
import { startFakeRealtime } from "../fakes/openai-realtime";
import { startFakeTwilio } from "../fakes/twilio-rest";

const { values } = parseArgs({
  options: {
    lead: { type: "string" },
    say: { type: "string", default: "Hola, sí. Busco un departamento en la Roma de unos 3 millones, con crédito Infonavit." },
    agent: { type: "string", default: "perfilador" },
  },
});
const leadId = Number(values.lead);
if (!Number.isInteger(leadId) || leadId <= 0) {
  console.error('Uso: npm run call:sim -- --lead <id> [--say "lo que dice el cliente"] [--agent perfilador|financiero]');
  process.exit(2);
}

const twilio = await startFakeTwilio();
const realtime = await startFakeRealtime();
const base = loadConfig();
const prospecta = await buildProspecta(
  loadConfig({
    ...process.env,
    LOG_LEVEL: "warn",
    VOICE_PROVIDER: "twilio",
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_PHONE_NUMBER: "+525500000000",
    WEBHOOK_BASE_URL: "https://simulador.local",
    TWILIO_API_BASE: twilio.apiBase,
    OPENAI_API_KEY: realtime.apiKey,
    OPENAI_REALTIME_URL: realtime.url,
    LLM_PROVIDER: "offline",
    DATABASE_URL: base.DATABASE_URL,
    QUIET_HOURS: "",
  }),
  { seedSamples: false },
);
await prospecta.app.listen({ port: 0, host: "127.0.0.1" });
const port = (prospecta.app.server.address() as AddressInfo).port;

try {
  const call = await prospecta.services.calls.initiateCall({ lead_id: leadId, agent_type: values.agent as "perfilador" | "financiero", force: true }, "sim");
  console.log(`Llamada #${call.id} a ${call.to_number} (${call.provider_call_sid})`);
  await prospecta.services.calls.applyStatus({ callId: call.id, callSid: call.provider_call_sid!, status: "in-progress" });

  twilio.answer(call.provider_call_sid!);
  const caller = await connectMediaStream(`ws://127.0.0.1:${port}/voice/stream`, { twilio });
  caller.start(call.id, values.agent!, call.provider_call_sid!);
  await new Promise((resolve) => setTimeout(resolve, 300));
  caller.ackMarks();
  caller.speak(50); // one second of the caller's audio
  // As the real server does: speech detected, the agent answers, the caller's words are transcribed.
  realtime.callerSays(values.say!, { audioStartMs: 300 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  caller.stop(call.provider_call_sid!);
  await caller.closed;
  await new Promise((resolve) => setTimeout(resolve, 200));

  const result = await prospecta.services.calls.getCallWithTranscript(call.id);
  console.log("\nTranscripción:");
  for (const line of result.transcript) console.log(`  ${line.speaker === "agent" ? "Agente" : "Cliente"}: ${line.text}`);
  console.log(`\nResumen: ${result.summary}`);
  console.log(`Datos: ${JSON.stringify(result.extracted)}`);
  const lead = await prospecta.services.leads.requireLead(leadId);
  console.log(`Lead #${lead.id}: etapa ${lead.pipeline_stage}, puntuación ${lead.score}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await prospecta.close();
  await realtime.close();
  await twilio.close();
}
