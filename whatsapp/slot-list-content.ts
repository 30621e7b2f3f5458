/**
 * The slots as a WhatsApp list (Twilio Content API, `twilio/list-picker`),
 * sent inside the session the lead opened. One content is created per process
 * on first use, with variables for the text and each option, and reused; its
 * body keeps the numbered text too, so a lead can answer "2" instead of
 * tapping. When the content cannot be made, the caller sends numbered text.
 */
import type { Logger } from "../src/logger";
import type { Choice } from "../src/channels/channel-port";
import type { TwilioClient } from "../src/channels/twilio-client";

/** A list-picker holds a fixed number of items: ours are the three slots offered. */
export const LIST_SIZE = 3;

export interface SlotList {
  /** The ContentSid and ContentVariables for these choices, or null to fall back to text. */
  contentFor(body: string, choices: readonly Choice[]): Promise<{ contentSid: string; variables: Record<string, string> } | null>;
}

export function createSlotList(client: TwilioClient, log: Logger): SlotList {
  let created: Promise<string> | null = null;
  const itemVariable = (index: number) => String(2 + index);
  const labelVariable = (index: number) => String(2 + LIST_SIZE + index);

  function create(): Promise<string> {
    const items = Array.from({ length: LIST_SIZE }, (_, index) => ({
      id: `{{${itemVariable(index)}}}`,
      item: `Opción ${index + 1}`,
      description: `{{${labelVariable(index)}}}`,
    }));
    // twilio-node types `types` with camelCase class names the API does not know; the API takes the wire names.
    const request = {
      friendlyName: "prospecta_horarios",
      language: "es",
      variables: { 1: "Horarios disponibles", ...Object.fromEntries(items.flatMap((_, i) => [[itemVariable(i), `book:${i}`], [labelVariable(i), `Horario ${i + 1}`]])) },
      types: { "twilio/list-picker": { body: "{{1}}", button: "Ver horarios", items } },
    };
    return client.content.v1.contents.create(request as never).then((content) => content.sid);
  }

  return {
    async contentFor(body, choices) {
      if (choices.length !== LIST_SIZE || choices.some((choice) => choice.label.length > 72)) return null;
      try {
        created ??= create();
        const contentSid = await created;
        const variables: Record<string, string> = { 1: body };
        choices.forEach((choice, index) => {
          variables[itemVariable(index)] = choice.id;
          variables[labelVariable(index)] = choice.label;
        });
        return { contentSid, variables };
      } catch (error) {
        // Try again on the next offer; this one goes as text.
        created = null;
        log.warn({ err: error }, "could not create the WhatsApp slot list; sending numbered text");
        return null;
      }
    },
  };
}
