/**
 * The part of Twilio's Content API the WhatsApp fake needs (content.twilio.com/v1).
 *
 * POST /v1/Content takes JSON {friendly_name, language, variables, types} where
 * `types` is keyed by the wire names ("twilio/list-picker", "twilio/quick-reply"…),
 * and answers 201 with a Content resource (sid HX + 32 hex, ISO 8601 dates, url,
 * links). twilio-node 6.x sends the create params as given (content.js:
 * `data = params`), so its camelCase `Types` class (twilioListPicker) reaches the
 * wire unchanged; the real API knows only the slash names, and so does this fake.
 *
 * Sending rules (docs/api/errors/21655, 21656, 63016; content/twilio-list-picker):
 * a ContentSid must be an HX SID of this account; ContentVariables must be a JSON
 * object whose values are non-empty strings; a variable left out takes the
 * template's sample value. Only approved templates may open a conversation outside
 * the 24-hour window; a list-picker can never be approved.
 */
import { newSid } from "./twilio-wire";

/** Content types in twilio-node's `Types` class, by wire name. */
const CONTENT_TYPES = new Set([
  "twilio/text", "twilio/media", "twilio/location", "twilio/list-picker", "twilio/call-to-action", "twilio/quick-reply",
  "twilio/card", "twilio/catalog", "twilio/carousel", "twilio/flows", "twilio/schedule",
  "whatsapp/card", "whatsapp/authentication", "whatsapp/flows",
]);

export interface ContentResource {
  sid: string;
  account_sid: string;
  friendly_name: string | null;
  language: string;
  variables: Record<string, string>;
  types: Record<string, Record<string, unknown>>;
  url: string;
  date_created: string;
  date_updated: string;
  links: { approval_create: string; approval_fetch: string };
}

export interface StoredContent {
  resource: ContentResource;
  /** Approved as a WhatsApp template: may be sent outside the 24-hour window. */
  approved: boolean;
}

/** A template as tests pre-register it: approved, rendered from `body`. */
export interface TemplateDefinition {
  body: string;
  /** Sample values, used for variables a send leaves out. */
  variables?: Record<string, string>;
  friendlyName?: string;
  language?: string;
  /** Defaults to {"twilio/text": {body}}. */
  types?: Record<string, Record<string, unknown>>;
}

export type RenderResult = { ok: true; text: string; variables: Record<string, string> } | { ok: false; code: 21656; message: string };

const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

export function createContentStore(accountSid: string, now: () => number) {
  const contents = new Map<string, StoredContent>();

  function store(sid: string, definition: Omit<ContentResource, "sid" | "account_sid" | "url" | "date_created" | "date_updated" | "links">, approved: boolean) {
    const at = new Date(now()).toISOString().replace(/\.\d{3}Z$/, "Z");
    const url = `https://content.twilio.com/v1/Content/${sid}`;
    const resource: ContentResource = {
      sid,
      account_sid: accountSid,
      ...definition,
      url,
      date_created: at,
      date_updated: at,
      links: { approval_create: `${url}/ApprovalRequests/whatsapp`, approval_fetch: `${url}/ApprovalRequests` },
    };
    contents.set(sid, { resource, approved });
    return resource;
  }

  return {
    get: (sid: string) => contents.get(sid),
    all: () => [...contents.values()],

    /** Validates and stores a POST /v1/Content body; the error names what is wrong. */
    create(body: unknown): { ok: true; resource: ContentResource } | { ok: false; message: string } {
      const problem = contentProblem(body);
      if (problem) return { ok: false, message: problem };
      const request = body as { friendly_name?: string; language: string; variables?: Record<string, string>; types: Record<string, Record<string, unknown>> };
      return {
        ok: true,
        resource: store(newSid("HX"), { friendly_name: request.friendly_name ?? null, language: request.language, variables: request.variables ?? {}, types: request.types }, false),
      };
    },

    register(sid: string, template: TemplateDefinition): ContentResource {
      if (!/^HX[0-9a-fA-F]{32}$/.test(sid)) throw new Error(`fake Twilio: a Content SID is HX + 32 hex digits, got ${sid}`);
      const types = template.types ?? { "twilio/text": { body: template.body } };
      return store(sid, { friendly_name: template.friendlyName ?? null, language: template.language ?? "es", variables: template.variables ?? {}, types }, true);
    },

    /** The text the recipient reads: the content's body with its variables filled in. */
    render(sid: string, rawVariables: string | null): RenderResult {
      const content = contents.get(sid)!.resource;
      let given: Record<string, unknown> = {};
      if (rawVariables !== null) {
        try {
          given = JSON.parse(rawVariables) as Record<string, unknown>;
        } catch {
          return { ok: false, code: 21656, message: "The ContentVariables Parameter is invalid: not a JSON string." };
        }
        if (typeof given !== "object" || given === null || Array.isArray(given)) {
          return { ok: false, code: 21656, message: "The ContentVariables Parameter is invalid: not a JSON object." };
        }
        const empty = Object.entries(given).find(([, value]) => typeof value !== "string" || value === "");
        if (empty) return { ok: false, code: 21656, message: `The ContentVariables Parameter is invalid: variable ${empty[0]} is null or empty.` };
      }
      const variables = { ...content.variables, ...(given as Record<string, string>) };
      const body = bodyOf(content.types);
      const missing = [...body.matchAll(PLACEHOLDER)].map((m) => m[1]!).find((name) => variables[name] === undefined);
      if (missing) return { ok: false, code: 21656, message: `The ContentVariables Parameter is invalid: no value for {{${missing}}}.` };
      return { ok: true, text: body.replace(PLACEHOLDER, (_, name: string) => variables[name]!), variables };
    },
  };
}

export type ContentStore = ReturnType<typeof createContentStore>;

/** The text part of a content: every type we use carries it in `body`. */
function bodyOf(types: Record<string, Record<string, unknown>>): string {
  for (const type of Object.values(types)) if (typeof type.body === "string") return type.body;
  return "";
}

function contentProblem(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return "The request body must be a JSON object.";
  const { language, types } = body as { language?: unknown; types?: unknown };
  if (typeof language !== "string" || !language) return "language is required.";
  if (typeof types !== "object" || types === null || Object.keys(types).length === 0) return "types must hold at least one content type.";
  for (const [name, value] of Object.entries(types as Record<string, unknown>)) {
    if (!CONTENT_TYPES.has(name)) return `Unknown content type ${name} (the API expects wire names such as "twilio/list-picker").`;
    const type = (value ?? {}) as Record<string, unknown>;
    if (name === "twilio/list-picker") {
      if (typeof type.body !== "string" || !type.body || type.body.length > 1024) return "twilio/list-picker body is required (at most 1,024 characters).";
      if (typeof type.button !== "string" || !type.button) return "twilio/list-picker button is required.";
      const items = type.items;
      if (!Array.isArray(items) || items.length < 1 || items.length > 10) return "twilio/list-picker items must hold 1 to 10 items.";
      for (const item of items as Record<string, unknown>[]) {
        if (typeof item.item !== "string" || !item.item || item.item.length > 24) return "Each list item needs an item of at most 24 characters.";
        if (typeof item.id !== "string" || !item.id || item.id.length > 200) return "Each list item needs an id of at most 200 characters.";
        if (item.description !== undefined && (typeof item.description !== "string" || item.description.length > 72)) return "A list item description has at most 72 characters.";
      }
    }
    if (name === "twilio/quick-reply") {
      if (typeof type.body !== "string" || !type.body || type.body.length > 1024) return "twilio/quick-reply body is required (at most 1,024 characters).";
      const actions = type.actions;
      if (!Array.isArray(actions) || actions.length < 1 || actions.length > 10) return "twilio/quick-reply actions must hold 1 to 10 buttons.";
      if ((actions as Record<string, unknown>[]).some((a) => typeof a.title !== "string" || !a.title)) return "Each quick-reply action needs a title.";
    }
  }
  return null;
}
