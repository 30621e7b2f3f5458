/**
 * fast-check arbitraries derived from zod schemas, for property-based fuzzing of our edges
 * (Media Streams frames, Realtime events, Twilio webhooks, API bodies).
 *
 * Tests import the whole kit from here. This file is its wire layer: values turned into what reaches an edge
 * (socket frames, form-encoded webhook bodies). It re-exports the value generators it builds on, which never
 * import it back:
 *   json-schema-arbitrary.ts  valid values, walking a schema's JSON Schema
 *   malformed-arbitrary.ts    valid values with one labelled mutation
 */
import fc from "fast-check";
import type { z } from "zod";
import { resolveRef, toJsonSchema, typesOf, validArbitrary, type JsonSchema } from "./json-schema-arbitrary";
import { HUGE_LENGTH, ODD_STRINGS, REMOVE, malformedArbitrary, setAt } from "./malformed-arbitrary";

export { jsonSchemaArbitrary, toJsonSchema, validArbitrary, type JsonSchema } from "./json-schema-arbitrary";
export { MALFORMED_LABELS, ODD_STRINGS, malformedArbitrary, type MalformedLabel, type MalformedValue, type Path } from "./malformed-arbitrary";

export const RAW_FRAME_LABELS = ["valid-json", "malformed-json", "truncated-json", "json-fragment", "random-text", "binary", "json-as-buffer", "empty"] as const;
export type RawFrameLabel = (typeof RAW_FRAME_LABELS)[number];
export interface RawFrame {
  label: RawFrameLabel;
  frame: string | Buffer;
}

export const FORM_BODY_LABELS = ["valid", "missing-field", "empty-value", "wrong-value", "huge-value", "extra-field", "prototype-key", "unicode-oddity"] as const;
export type FormBodyLabel = (typeof FORM_BODY_LABELS)[number];
export interface FormBody {
  label: FormBodyLabel;
  body: Record<string, string>;
}

// ---------- socket frames ----------

/** What arrives on a socket, labelled: real traffic (valid JSON) mixed with every way a frame goes wrong. */
export function rawFrameCaseArbitrary(schema: z.ZodType): fc.Arbitrary<RawFrame> {
  const valid = validArbitrary(schema);
  const frame = (label: RawFrameLabel) => (f: string | Buffer): RawFrame => ({ label, frame: f });
  const text = valid.map((v) => JSON.stringify(v));
  return fc.oneof(
    { arbitrary: text.map(frame("valid-json")), weight: 4 },
    { arbitrary: malformedArbitrary(schema).map((m) => JSON.stringify(m.value)).map(frame("malformed-json")), weight: 4 },
    { arbitrary: text.filter((t) => t.length > 1).chain((t) => fc.integer({ min: 1, max: t.length - 1 }).map((n) => t.slice(0, n))).map(frame("truncated-json")), weight: 1 },
    { arbitrary: fc.constantFrom(...jsonFragments(toJsonSchema(schema))).map(frame("json-fragment")), weight: 1 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 64 }).map(frame("random-text")), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)).map(frame("binary")), weight: 1 },
    { arbitrary: text.map((t) => Buffer.from(t)).map(frame("json-as-buffer")), weight: 1 },
    { arbitrary: fc.constant("").map(frame("empty")), weight: 1 },
  );
}

/** `rawFrameCaseArbitrary` without the labels. */
export function rawFrameArbitrary(schema: z.ZodType): fc.Arbitrary<string | Buffer> {
  return rawFrameCaseArbitrary(schema).map((f) => f.frame);
}

/** Texts that are not a whole message: bare tags, scalars, JSON5-isms, two messages in one frame. */
function jsonFragments(root: JsonSchema): string[] {
  const tags: [string, unknown][] = [];
  const visit = (s: JsonSchema, depth: number) => {
    if (depth > 3) return;
    for (const v of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) visit(v.$ref ? resolveRef(root, v.$ref) : v, depth + 1);
    for (const [key, p] of Object.entries(s.properties ?? {})) if ("const" in p) tags.push([key, p.const]);
  };
  visit(root, 0);
  const [tagKey, tagValue] = tags[0] ?? ["event", "start"];
  return [
    ...tags.flatMap(([key, value]) => [JSON.stringify({ [key]: value }), JSON.stringify(value)]),
    `{${JSON.stringify(tagKey)}:`,
    `{${tagKey}: ${JSON.stringify(tagValue)}}`,
    `{${JSON.stringify(tagKey)}: ${JSON.stringify(tagValue)},}`,
    `{'${tagKey}': 'x'}`,
    `${JSON.stringify({ [tagKey]: tagValue })}${JSON.stringify({ [tagKey]: tagValue })}`,
    `{"${tagKey}":"a","${tagKey}":${JSON.stringify(tagValue)}}`,
    "[".repeat(50_000) + "]".repeat(50_000), // JSON.parse takes it; a recursive walk of the result (logging, JSON.stringify) overflows the stack
    "null", "[]", "{}", "[{}]", "0", "-1", "1e999", "true", "NaN", "undefined", "\uFEFF{}", "   ", "\n",
  ];
}

// ---------- form-encoded webhook bodies ----------

/** Bodies as Twilio posts them (every field a string), valid-ish or broken in one labelled way. Needs an object schema. */
export function formBodyCaseArbitrary(schema: z.ZodType): fc.Arbitrary<FormBody> {
  const root = toJsonSchema(schema);
  const s = root.$ref !== undefined ? resolveRef(root, root.$ref) : root;
  if (!typesOf(s).includes("object")) throw new Error("formBodyArbitrary: a form body needs an object schema");
  const required = s.required ?? [];
  const valid = validArbitrary(schema).map((v) => toFormFields(v as Record<string, unknown>));
  type Fields = Record<string, string>;
  const oneOfKeys = (keys: string[]) => (keys.length > 0 ? fc.constantFrom(...keys) : undefined);
  // One labelled change: the key it touches is drawn by `keyOf` (undefined when the body has none to touch).
  const change = (label: FormBodyLabel, keyOf: (b: Fields) => fc.Arbitrary<string> | undefined, value: fc.Arbitrary<string | typeof REMOVE>) =>
    valid
      .filter((b) => keyOf(b) !== undefined)
      .chain((b) => fc.tuple(keyOf(b) as fc.Arbitrary<string>, value).map(([key, v]): FormBody => ({ label, body: setAt(b, [key], v) as Fields })));
  const present = (b: Fields) => oneOfKeys(Object.keys(b));
  const unknownKey = (b: Fields) => fc.oneof(fc.constantFrom("AddOns", "ApiVersion", "X-Unexpected", ""), fc.string({ minLength: 1, maxLength: 16 })).filter((k) => !(k in b));
  const cases = [
    change("missing-field", (b) => oneOfKeys(Object.keys(b).filter((k) => required.includes(k))), fc.constant(REMOVE)),
    change("empty-value", present, fc.constant("")),
    change("wrong-value", present, fc.constantFrom("abc", "-1", "1e308", "NaN", "true", "null", "undefined", "[object Object]", "%", "a=b&c=d", " ")),
    change("huge-value", present, fc.constantFrom("x", "9", "%").map((c) => c.repeat(HUGE_LENGTH))),
    change("unicode-oddity", present, fc.constantFrom(...ODD_STRINGS)),
    change("extra-field", unknownKey, fc.string({ maxLength: 32 })),
    change("prototype-key", () => fc.constantFrom("__proto__", "constructor", "prototype"), fc.constant("polluted")),
  ];
  const usable = required.length > 0 ? cases : cases.slice(1); // with nothing required, "missing-field" would filter forever
  return fc.oneof({ arbitrary: valid.map((body): FormBody => ({ label: "valid", body })), weight: 4 }, ...usable);
}

/** `formBodyCaseArbitrary` without the labels. */
export function formBodyArbitrary(schema: z.ZodType): fc.Arbitrary<Record<string, string>> {
  return formBodyCaseArbitrary(schema).map((c) => c.body);
}

function toFormFields(value: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue; // Twilio leaves out a parameter it has no value for
    fields[key] = typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  return fields;
}
