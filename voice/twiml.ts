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

/** wss://host/voice/stream from the public https base. */
export function streamUrlFor(webhookBaseUrl: string): string {
  const url = new URL("/voice/stream", webhookBaseUrl);
  url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  return url.toString();
}
