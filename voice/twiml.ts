/** The TwiML we answer Twilio with. */
import twilio from "twilio";

/** Connect the call to our Media Streams WebSocket. Stream URLs lose their query string, so ids go as <Parameter>s. */
export function connectStreamTwiml(streamUrl: string, callId: number, agent: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const stream = response.connect().stream({ url: streamUrl });
  stream.parameter({ name: "call_id", value: String(callId) });
  stream.parameter({ name: "agent", value: agent });
  return response.toString();
}

/** An answering machine: a short message in Spanish, then hang up. */
export function voicemailTwiml(agencyName: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say({ language: "es-MX" }, `Hola, te llamamos de ${agencyName} sobre la propiedad que buscas. Te escribiremos por mensaje. ¡Gracias!`);
  response.hangup();
  return response.toString();
}

export function hangupTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return response.toString();
}

/**
 * wss://host/prefix/voice/stream from the public base, keeping any path prefix
 * (https://example.com/prospecta/ → wss://example.com/prospecta/voice/stream).
 * Twilio accepts only wss: an http base gives ws, which works with local fakes only.
 */
export function streamUrlFor(webhookBaseUrl: string): string {
  const base = new URL(webhookBaseUrl);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const url = new URL("voice/stream", base);
  url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  url.search = "";
  url.hash = "";
  return url.toString();
}
