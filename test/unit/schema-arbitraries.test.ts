import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  FORM_BODY_LABELS,
  MALFORMED_LABELS,
  RAW_FRAME_LABELS,
  formBodyArbitrary,
  formBodyCaseArbitrary,
  jsonSchemaArbitrary,
  malformedArbitrary,
  rawFrameArbitrary,
  rawFrameCaseArbitrary,
  toJsonSchema,
  validArbitrary,
  type JsonSchema,
  type MalformedLabel,
} from "../fuzz/schema-arbitraries";

// Shaped like the real edges, not imported from them: this tests the generator, not the protocols.
const sid = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[0-9a-f]{32}$`));
const digits = z.string().regex(/^\d+$/);
const track = z.enum(["inbound", "outbound"]);
const mediaStreamMessage = z.discriminatedUnion("event", [
  z.object({ event: z.literal("connected"), protocol: z.string(), version: z.string() }),
  z.object({
    event: z.literal("start"),
    sequenceNumber: digits,
    streamSid: sid("MZ"),
    start: z.object({
      accountSid: sid("AC"),
      streamSid: sid("MZ"),
      callSid: sid("CA"),
      tracks: z.array(track).min(1),
      customParameters: z.record(z.string(), z.string()),
      mediaFormat: z.object({ encoding: z.literal("audio/x-mulaw"), sampleRate: z.literal(8000), channels: z.literal(1) }),
    }),
  }),
  z.object({
    event: z.literal("media"),
    sequenceNumber: digits,
    streamSid: sid("MZ"),
    media: z.object({ track, chunk: digits, timestamp: digits, payload: z.base64() }),
  }),
  z.object({ event: z.literal("mark"), sequenceNumber: digits, streamSid: sid("MZ"), mark: z.object({ name: z.string().min(1) }) }),
  z.object({ event: z.literal("stop"), sequenceNumber: digits, streamSid: sid("MZ"), stop: z.object({ accountSid: sid("AC"), callSid: sid("CA") }) }),
]);

const leadFacts = z.object({
  property_type: z.enum(["casa", "departamento", "terreno"]),
  currency: z.enum(["MXN", "USD"]).nullable().optional(),
  budget_max: z.number().min(0).max(1e9).nullable().optional(),
  bedrooms: z.number().int().min(0).max(20).nullable().optional(),
  financially_approved: z.boolean(),
  location: z.string().trim().min(1).max(120).nullable().optional(),
  contact: z.strictObject({ phone: z.e164(), email: z.email().optional() }),
});

const voiceWebhook = z.object({
  CallSid: sid("CA"),
  AccountSid: sid("AC"),
  From: z.string().min(1),
  To: z.string().min(1),
  CallStatus: z.enum(["queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer"]),
  Direction: z.enum(["inbound", "outbound-api"]),
  Digits: z.string().optional(),
  Confidence: z.coerce.number().min(0).max(1).optional(),
});

const seed = 20_240_611;
const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number) => fc.sample(arb, { seed, numRuns });
const parses = (schema: z.ZodType) => (v: unknown) => schema.safeParse(v).success;

const countBy = <T>(items: T[], key: (item: T) => string) => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};
// These mutations break a value for any schema that does not coerce; the others (extra keys, huge or odd strings) may be legal.
const alwaysInvalid: MalformedLabel[] = ["missing-required-field", "wrong-type", "null-field", "unknown-discriminator", "out-of-enum"];

describe("valid values", () => {
  it.each([
    ["a Media Streams message", mediaStreamMessage],
    ["lead facts", leadFacts],
    ["a voice webhook", voiceWebhook],
  ])("are what %s's schema accepts, even before the last-resort filter", (_name, schema) => {
    const raw = sample(jsonSchemaArbitrary(toJsonSchema(schema)), 400);
    expect(raw.filter(parses(schema)).length / raw.length).toBeGreaterThanOrEqual(0.99);
    const valid = sample(validArbitrary(schema), 200);
    expect(valid.every(parses(schema))).toBe(true);
    // They travel as JSON text, so they must survive the trip.
    expect(valid.map((v) => JSON.parse(JSON.stringify(v))).every(parses(schema))).toBe(true);
  });

  it("cover every event of the discriminated union, and nullable and absent optional fields", () => {
    const events = sample(validArbitrary(mediaStreamMessage), 200).map((m) => (m as { event: string }).event);
    expect(new Set(events)).toEqual(new Set(["connected", "start", "media", "mark", "stop"]));
    const budgets = sample(validArbitrary(leadFacts), 200).map((f) => (f as Record<string, unknown>).budget_max);
    expect(budgets).toContain(null);
    expect(budgets).toContain(undefined);
    expect(budgets.some((b) => typeof b === "number")).toBe(true);
  });

  it("follow $ref, $defs, allOf and recursion", () => {
    type Folder = { name: string; children?: Folder[] };
    const folder: z.ZodType<Folder> = z.object({ name: z.string().min(1), get children() { return z.array(folder).optional(); } });
    expect(sample(validArbitrary(folder), 100).every(parses(folder))).toBe(true);

    const addressed: JsonSchema = {
      type: "object",
      properties: { home: { $ref: "#/$defs/Address" }, work: { allOf: [{ $ref: "#/$defs/Address" }, { properties: { floor: { type: "integer", minimum: 1, maximum: 80 } }, required: ["floor"] }] } },
      required: ["home", "work"],
      $defs: { Address: { type: "object", properties: { street: { type: "string", minLength: 3 } }, required: ["street"] } },
    };
    const asZod = z.object({ home: z.object({ street: z.string().min(3) }), work: z.object({ street: z.string().min(3), floor: z.number().int().min(1).max(80) }) });
    expect(sample(jsonSchemaArbitrary(addressed), 200).every(parses(asZod))).toBe(true);
  });

  it("refuse a schema no JSON value satisfies, instead of hanging", () => {
    expect(() => validArbitrary(z.object({ at: z.date() }))).toThrow(/no generated JSON value/);
  });
});

describe("malformed values", () => {
  it("use every kind of mutation on a Media Streams message, and those that must break it do", () => {
    const malformed = sample(malformedArbitrary(mediaStreamMessage), 600);
    expect(Object.keys(countBy(malformed, (m) => m.label)).sort()).toEqual([...MALFORMED_LABELS].sort());
    for (const m of malformed.filter((m) => alwaysInvalid.includes(m.label))) {
      expect(mediaStreamMessage.safeParse(m.value).success, `${m.label} at ${m.path.join(".")}`).toBe(false);
    }
    expect(malformed.filter((m) => !parses(mediaStreamMessage)(m.value)).length / malformed.length).toBeGreaterThan(0.6);
  });

  it("break lead facts at any depth, including inside the nested contact", () => {
    const malformed = sample(malformedArbitrary(leadFacts), 600);
    for (const m of malformed.filter((m) => alwaysInvalid.includes(m.label))) expect(parses(leadFacts)(m.value)).toBe(false);
    const dropped = malformed.filter((m) => m.label === "missing-required-field").map((m) => m.path.join("."));
    expect(new Set(dropped)).toEqual(new Set(["property_type", "financially_approved", "contact", "contact.phone"]));
    // contact is strict, so an unknown key there is an error; at the top level zod strips it.
    expect(malformed.some((m) => m.label === "extra-field" && m.path[0] === "contact" && !parses(leadFacts)(m.value))).toBe(true);
  });

  it("include 100k-character strings, ±1e308 and deep nesting", () => {
    const huge = sample(malformedArbitrary(leadFacts), 800).filter((m) => m.label === "huge-value");
    const leaves = huge.map((m) => m.path.reduce<unknown>((v, key) => (v as Record<string | number, unknown>)[key], m.value));
    // Booleans, not toContain: a failure message that printed these leaves would itself overflow the stack.
    expect(leaves.some((v) => typeof v === "string" && v.length > 100_000)).toBe(true);
    expect(leaves.some((v) => v === 1e308) && leaves.some((v) => v === -1e308)).toBe(true);
    const depth = (v: unknown): number => (Array.isArray(v) ? 1 + depth(v[0]) : 0);
    expect(leaves.some((v) => depth(v) >= 1_000)).toBe(true);
  });

  it("carry prototype-pollution keys as own keys that survive JSON, and parsing them pollutes nothing", () => {
    const polluting = sample(malformedArbitrary(mediaStreamMessage), 300).filter((m) => m.label === "prototype-pollution");
    expect(polluting.some((m) => JSON.stringify(m.value).includes('"__proto__"'))).toBe(true);
    fc.assert(
      fc.property(fc.constantFrom(...polluting), (m) => {
        mediaStreamMessage.safeParse(JSON.parse(JSON.stringify(m.value)));
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { seed, numRuns: 50 },
    );
  });
});

describe("raw frames", () => {
  it("mix real traffic with binary, non-JSON, truncated and empty frames", () => {
    const frames = sample(rawFrameCaseArbitrary(mediaStreamMessage), 400);
    expect(Object.keys(countBy(frames, (f) => f.label)).sort()).toEqual([...RAW_FRAME_LABELS].sort());
    const texts = frames.map((f) => f.frame).filter((f): f is string => typeof f === "string");
    const isJson = (t: string) => {
      try {
        JSON.parse(t);
        return true;
      } catch {
        return false;
      }
    };
    expect(frames.some((f) => Buffer.isBuffer(f.frame))).toBe(true);
    expect(texts).toContain("");
    expect(texts.some((t) => t !== "" && !isJson(t))).toBe(true);
    expect(texts.filter(isJson).some((t) => parses(mediaStreamMessage)(JSON.parse(t)))).toBe(true);
    expect(frames.filter((f) => f.label === "truncated-json").every((f) => !isJson(f.frame as string))).toBe(true);
  });
});

describe("form bodies", () => {
  it("post every field as a string, valid ones parse and each kind of damage occurs", () => {
    const bodies = sample(formBodyCaseArbitrary(voiceWebhook), 400);
    expect(Object.keys(countBy(bodies, (b) => b.label)).sort()).toEqual([...FORM_BODY_LABELS].sort());
    expect(bodies.every((b) => Object.values(b.body).every((v) => typeof v === "string"))).toBe(true);
    const valid = bodies.filter((b) => b.label === "valid");
    expect(valid.filter((b) => parses(voiceWebhook)(b.body)).length / valid.length).toBeGreaterThanOrEqual(0.99);
    expect(bodies.filter((b) => b.label === "missing-field").every((b) => !parses(voiceWebhook)(b.body))).toBe(true);
    expect(bodies.filter((b) => b.label === "huge-value").every((b) => Object.values(b.body).some((v) => v.length > 100_000))).toBe(true);
  });
});

describe("determinism", () => {
  it("gives the same cases for the same seed, and others for another seed", () => {
    for (const arb of [validArbitrary(mediaStreamMessage), malformedArbitrary(leadFacts), rawFrameArbitrary(mediaStreamMessage), formBodyArbitrary(voiceWebhook)] as fc.Arbitrary<unknown>[]) {
      const first = fc.sample(arb, { seed: 7, numRuns: 30 });
      expect(fc.sample(arb, { seed: 7, numRuns: 30 })).toEqual(first);
      expect(fc.sample(arb, { seed: 8, numRuns: 30 })).not.toEqual(first);
    }
  });
});
