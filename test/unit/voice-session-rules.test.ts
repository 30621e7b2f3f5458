/** The pure rules of a call's Realtime session: one response at a time, what the caller heard, tools' arguments, the stream URL. */
import { describe, expect, it } from "vitest";
import { createCallTranscript, heardPart, type TranscriptLine } from "../../voice/call-transcript";
import { parseRealtimeEvent } from "../../voice/openai-realtime-protocol";
import { createResponseGate, type ResponseRequest } from "../../voice/response-gate";
import { parseTwilioMessage } from "../../voice/twilio-protocol";
import { streamUrlFor } from "../../voice/twiml";
import { parseVoiceToolCall, VOICE_TOOLS } from "../../voice/voice-tools";

function gateWithLog() {
  const sent: ResponseRequest[] = [];
  return { sent, gate: createResponseGate((request) => sent.push(request)) };
}

describe("the response gate", () => {
  it("sends at once when nothing is running", () => {
    const { sent, gate } = gateWithLog();
    gate.request();
    expect(sent).toHaveLength(1);
  });

  it("a tool's follow-up waits for the response that called the tool to finish", () => {
    const { sent, gate } = gateWithLog();
    gate.created("resp_1"); // the server's own response (VAD) that will call a tool
    gate.toolStarted();
    gate.request();
    gate.toolFinished();
    expect(sent).toHaveLength(0);
    gate.done("resp_1");
    expect(sent).toHaveLength(1);
  });

  it("waits for every tool of the response, then asks once", () => {
    const { sent, gate } = gateWithLog();
    gate.created("r");
    gate.toolStarted();
    gate.toolStarted();
    gate.done("r");
    gate.request();
    gate.toolFinished();
    expect(sent).toHaveLength(0);
    gate.request();
    gate.toolFinished();
    expect(sent).toHaveLength(1);
  });

  it("never has two requests in flight, and a refused one goes again after the running response", () => {
    const { sent, gate } = gateWithLog();
    gate.request();
    gate.request();
    expect(sent).toHaveLength(1);
    gate.refused(); // a server response had started first
    gate.created("server_resp");
    expect(sent).toHaveLength(1);
    gate.done("server_resp");
    expect(sent).toHaveLength(2);
  });

  it("keeps the goodbye's instructions when a plain request comes after it", () => {
    const { sent, gate } = gateWithLog();
    gate.created("r");
    gate.request({ instructions: "despídete" });
    gate.request();
    gate.done("r");
    expect(sent).toEqual([{ instructions: "despídete" }]);
  });

  it("a response.done for a response never seen starting ends the wait for it", () => {
    const { sent, gate } = gateWithLog();
    gate.request();
    gate.done("r_unseen");
    gate.request();
    expect(sent).toHaveLength(2);
  });
});

describe("what the caller heard", () => {
  it.each([
    ["Hola, te llamo de la inmobiliaria", 1000, 1000, "Hola, te llamo de la inmobiliaria"],
    ["Hola, te llamo de la inmobiliaria", 500, 1000, "Hola, te llamo de…"],
    ["Hola, te llamo de la inmobiliaria", 400, 1000, "Hola, te…"],
    ["Hola, te llamo de la inmobiliaria", 0, 1000, null],
    ["Hola, te llamo de la inmobiliaria", 20, 1000, null],
    ["Hola", 900, 0, "Hola"],
  ])("%s, %d of %d ms heard → %s", (text, heard, generated, expected) => {
    expect(heardPart(text, heard, generated)).toBe(expected);
  });

  it("orders lines by when they were spoken and cuts an interrupted agent line, before or after its transcript arrives", () => {
    const lines: TranscriptLine[] = [];
    const replaced: [string, string | null][] = [];
    const transcript = createCallTranscript({ record: (line) => lines.push(line), replace: (id, text) => replaced.push([id, text]) });
    transcript.agentAudio("a1", 1000);
    transcript.agentSaid("a1", "Hola, te llamo de la inmobiliaria");
    transcript.callerAudio(2000);
    transcript.callerSpeechStarted("u1", 1800);
    transcript.itemAdded("a2");
    transcript.agentAudio("a2", 400);
    transcript.truncated("a1", 500);
    transcript.truncated("a2", 100);
    transcript.agentSaid("a2", "Claro, cuéntame qué buscas");
    transcript.callerSaid("u1", "Busco casa");
    expect(replaced).toEqual([["a1", "Hola, te llamo de…"]]);
    expect(lines.sort((x, y) => x.position - y.position).map((l) => [l.speaker, l.text, l.offsetMs])).toEqual([
      ["agent", "Hola, te llamo de la inmobiliaria", 0],
      ["lead", "Busco casa", 1800],
      ["agent", "Claro…", 2000],
    ]);
    expect(transcript.isTruncated("a2")).toBe(true);
  });
});

describe("the voice tools", () => {
  it("give the model a JSON Schema per tool from the same zod schema that checks the arguments", () => {
    expect(VOICE_TOOLS.map((t) => t.name)).toEqual(["guardar_datos", "ofrecer_horarios", "agendar_cita", "pedir_asesor", "dar_de_baja", "colgar"]);
    const booking = VOICE_TOOLS.find((t) => t.name === "agendar_cita")!;
    expect(booking.parameters).toMatchObject({ type: "object", required: ["inicio"] });
    expect(booking.parameters).not.toHaveProperty("$schema");
  });

  it.each([
    ["guardar_datos", '{"budget_max": 4000000, "location": "Zapopan"}', true],
    ["guardar_datos", '{"budget_max": "mucho"}', false],
    ["guardar_datos", '{"bedrooms": 1e308}', false],
    ["guardar_datos", "no es json", false],
    ["guardar_datos", "[]", false],
    ["agendar_cita", '{"inicio": "2026-01-20T17:00:00.000Z"}', true],
    ["agendar_cita", '{"inicio": "mañana"}', false],
    ["agendar_cita", "{}", false],
    ["ofrecer_horarios", "", true],
    ["borrar_todo", "{}", false],
    ["__proto__", "{}", false],
  ])("%s(%s) → valid %s", (name, args, valid) => {
    const parsed = parseVoiceToolCall(name, args);
    expect(parsed.ok).toBe(valid);
    if (!parsed.ok) expect(parsed.problem).toMatch(/argumentos|función desconocida/);
  });
});

const mediaFrame = (payload: string) =>
  JSON.stringify({ event: "media", sequenceNumber: "3", streamSid: "MZ1", media: { track: "inbound", chunk: "1", timestamp: "20", payload } });

describe("protocol frames are parsed, not cast", () => {
  it.each([
    ['{"event":"start"}', "invalid"],
    ['{"event":"media","media":{"payload":"$$"}}', "invalid"],
    ['{"event":"stop"}', "invalid"],
    ['{"event":"something_new","x":1}', "ignored"],
    ["not json", "invalid"],
    ["null", "invalid"],
    ['"start"', "invalid"],
    ['{"event":"connected","protocol":"Call","version":"1.0.0"}', "message"],
    // Audio is strict base64: padded, no whitespace, nothing after the padding.
    [mediaFrame("//8="), "message"],
    [mediaFrame(""), "message"],
    [mediaFrame("//8"), "invalid"],
    [mediaFrame("//8=\n"), "invalid"],
    [mediaFrame("/ /8="), "invalid"],
    [mediaFrame("//8=AAAA"), "invalid"],
    [mediaFrame("/=8="), "invalid"],
    [mediaFrame("A".repeat(64_004)), "invalid"],
  ])("Media Streams %s → %s", (raw, kind) => {
    expect(parseTwilioMessage(raw).kind).toBe(kind);
  });

  it.each([
    ['{"type":"response.done"}', "invalid"],
    ['{"type":"response.output_audio.delta","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"not base64!"}', "invalid"],
    ['{"type":"response.output_audio.delta","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"//8=//8="}', "invalid"],
    ['{"type":"response.output_audio.delta","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"//8A//8="}', "message"],
    ['{"type":"error","error":null}', "invalid"],
    ['{"type":"rate_limits.updated","rate_limits":[]}', "ignored"],
    ['{"type":"response.done","response":{"id":"r","status":"completed","output":[]}}', "message"],
  ])("Realtime %s → %s", (raw, kind) => {
    expect(parseRealtimeEvent(raw).kind).toBe(kind);
  });
});

describe("the stream URL", () => {
  it.each([
    ["https://voz.example.com", "wss://voz.example.com/voice/stream"],
    ["https://example.com/prospecta/", "wss://example.com/prospecta/voice/stream"],
    ["https://example.com/prospecta", "wss://example.com/prospecta/voice/stream"],
    ["http://127.0.0.1:3000/", "ws://127.0.0.1:3000/voice/stream"],
  ])("%s → %s", (base, expected) => {
    expect(streamUrlFor(base)).toBe(expected);
  });
});
