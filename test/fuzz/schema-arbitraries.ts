/**
 * fast-check arbitraries derived from zod schemas, for property-based fuzzing of our edges
 * (Media Streams frames, Realtime events, Twilio webhooks, API bodies).
 *
 * Why our own and not a bridge package: `zod-fast-check` supports zod 3 and fast-check < 4 only, and
 * the zod 4 alternatives are pre-1.0. Walking `z.toJSONSchema` keeps us on zod's public API, and the
 * same walker serves any JSON Schema (an OpenAPI body, a hand-written protocol schema).
 */
import fc from "fast-check";
import { z } from "zod";

/** The part of JSON Schema (draft 2020-12) that zod 4 emits and this walker understands. */
export interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: boolean | JsonSchema;
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
}

export type Path = (string | number)[];

export const MALFORMED_LABELS = [
  "missing-required-field",
  "wrong-type",
  "null-field",
  "huge-value",
  "unknown-discriminator",
  "out-of-enum",
  "extra-field",
  "prototype-pollution",
  "unicode-oddity",
] as const;
export type MalformedLabel = (typeof MALFORMED_LABELS)[number];
/** A valid value with one mutation; `path` is where it was applied ([] = the whole value). */
export interface MalformedValue {
  label: MalformedLabel;
  path: Path;
  value: unknown;
}

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

/** Strings that have broken parsers, loggers and terminals before: lone surrogates, bidi controls, NUL, BOM, zalgo. */
export const ODD_STRINGS = [
  "\uD800",
  "\uDFFF",
  "a\uD83Dz",
  "\u202Egnp.exe",
  "\u200F\u200E",
  "\u0000",
  "nul\u0000byte",
  "\uFEFFbom",
  "\u200B",
  "e" + "\u0301".repeat(500),
  "\u2028\u2029",
  "\r\n\t",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🏠👨‍👩‍👧",
  "%00%0d%0a",
];

const MAX_DEPTH = 4;
const HUGE_LENGTH = 100_001;

export function toJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

/** Values that satisfy `schema`; they are plain JSON, so `JSON.stringify` sends them over a wire unchanged. */
export function validArbitrary(schema: z.ZodType): fc.Arbitrary<unknown> {
  const raw = jsonSchemaArbitrary(toJsonSchema(schema));
  // Without this check a schema that only non-JSON values satisfy (z.date(), z.bigint()) would hang the filter below.
  const probe = fc.sample(raw, { seed: 1, numRuns: 100 });
  if (!probe.some((v) => schema.safeParse(v).success)) {
    throw new Error("validArbitrary: no generated JSON value satisfies the schema (does it need dates, bigints or refinements?)");
  }
  // Last resort for what JSON Schema cannot say (refinements, trims, transforms): the contract is "every value parses".
  return raw.filter((v) => schema.safeParse(v).success);
}

/** Values that a JSON Schema describes, without any zod check; `validArbitrary` is this plus a safeParse filter. */
export function jsonSchemaArbitrary(root: JsonSchema): fc.Arbitrary<unknown> {
  return arbitraryFor(root, root, 0);
}

const anyJson = fc.jsonValue({ maxDepth: 2 });

function arbitraryFor(declared: JsonSchema, root: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (depth > MAX_DEPTH + 20) throw new Error("jsonSchemaArbitrary: the schema requires unbounded recursion");
  if (declared.$ref !== undefined) return arbitraryFor(resolveRef(root, declared.$ref), root, depth + 1);
  const s = declared.allOf ? mergeAllOf(declared, root) : declared;
  if ("const" in s) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => arbitraryFor(v, root, depth)));
  const types = typesOf(s);
  if (types.length === 0) return anyJson;
  return fc.oneof(...types.map((type) => arbitraryForType(type, s, root, depth)));
}

function arbitraryForType(type: string, s: JsonSchema, root: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case "string":
      return stringArbitrary(s);
    case "number":
    case "integer":
      return numberArbitrary(s, type === "integer");
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return arrayArbitrary(s, root, depth);
    case "object":
      return objectArbitrary(s, root, depth);
    default:
      return anyJson;
  }
}

function typesOf(s: JsonSchema): string[] {
  if (typeof s.type === "string") return [s.type];
  if (Array.isArray(s.type)) return s.type;
  if (s.properties || s.additionalProperties !== undefined || s.required) return ["object"];
  if (s.items !== undefined || s.prefixItems) return ["array"];
  if (s.pattern !== undefined || s.minLength !== undefined || s.format !== undefined) return ["string"];
  if (s.minimum !== undefined || s.maximum !== undefined) return ["number"];
  return [];
}

const FORMATS: Record<string, fc.Arbitrary<string>> = {
  uri: fc.webUrl(),
  url: fc.webUrl(),
  email: fc.emailAddress(),
  uuid: fc.uuid(),
  "date-time": fc.date({ noInvalidDate: true, min: new Date(0), max: new Date("2100-01-01") }).map((d) => d.toISOString()),
  date: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date("2100-01-01") }).map((d) => d.toISOString().slice(0, 10)),
  ipv4: fc.ipV4(),
  ipv6: fc.ipV6(),
};

function stringArbitrary(s: JsonSchema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = s.maxLength ?? Infinity;
  const fitsLength = (v: string) => v.length >= minLength && v.length <= maxLength;
  // zod's own patterns (email, uuid, datetime) are the check it runs, so they beat a nicer-looking format generator.
  const shaped = s.pattern !== undefined ? fc.stringMatching(toRegExp(s.pattern)) : s.format !== undefined ? FORMATS[s.format] : undefined;
  if (shaped) return s.minLength === undefined && s.maxLength === undefined ? shaped : shaped.filter(fitsLength);
  return fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 24) });
}

function toRegExp(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    return new RegExp(pattern, "u"); // \p{…} classes only compile with the unicode flag
  }
}

function numberArbitrary(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lowerExcluded = s.exclusiveMinimum !== undefined && (s.minimum === undefined || s.exclusiveMinimum >= s.minimum);
  const upperExcluded = s.exclusiveMaximum !== undefined && (s.maximum === undefined || s.exclusiveMaximum <= s.maximum);
  const lower = lowerExcluded ? s.exclusiveMinimum : s.minimum;
  const upper = upperExcluded ? s.exclusiveMaximum : s.maximum;
  if (integer || s.multipleOf !== undefined) {
    const step = s.multipleOf ?? 1;
    const fallback = Number.MAX_SAFE_INTEGER / step;
    const lo = lower === undefined ? -fallback : lowerExcluded ? Math.floor(lower / step) + 1 : Math.ceil(lower / step);
    const hi = upper === undefined ? fallback : upperExcluded ? Math.ceil(upper / step) - 1 : Math.floor(upper / step);
    return safeIntegerBetween(Math.ceil(lo), Math.floor(hi)).map((k) => k * step);
  }
  return fc.double({ min: lower, max: upper, minExcluded: lowerExcluded, maxExcluded: upperExcluded, noNaN: true, noDefaultInfinity: true });
}

/** Mostly 32-bit values (readable, where bugs live), sometimes anywhere in the safe range (where overflow lives). */
function safeIntegerBetween(lo: number, hi: number): fc.Arbitrary<number> {
  const wide = fc.bigInt(BigInt(lo), BigInt(hi)).map(Number);
  const smallLo = Math.max(lo, -0x80000000);
  const smallHi = Math.min(hi, 0x7fffffff);
  if (smallLo > smallHi) return wide;
  return fc.oneof({ arbitrary: fc.integer({ min: smallLo, max: smallHi }), weight: 9 }, { arbitrary: wide, weight: 1 });
}

function arrayArbitrary(s: JsonSchema, root: JsonSchema, depth: number): fc.Arbitrary<unknown[]> {
  const prefix = (s.prefixItems ?? []).map((p) => arbitraryFor(p, root, depth + 1));
  const minRest = Math.max(0, (s.minItems ?? 0) - prefix.length);
  const maxRest = depth >= MAX_DEPTH ? minRest : Math.min((s.maxItems ?? Infinity) - prefix.length, minRest + 4);
  const rest =
    s.items === false || maxRest <= 0
      ? fc.constant([])
      : fc.array(typeof s.items === "object" ? arbitraryFor(s.items, root, depth + 1) : anyJson, { minLength: minRest, maxLength: maxRest });
  return fc.tuple(fc.tuple(...prefix), rest).map(([head, tail]) => [...head, ...tail]);
}

function objectArbitrary(s: JsonSchema, root: JsonSchema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const required = s.required ?? [];
  const extraSchema = typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(s.properties ?? {})) {
    // Past the depth budget only required fields are built, which is what lets recursive schemas end.
    if (depth < MAX_DEPTH || required.includes(key)) model[key] = arbitraryFor(property, root, depth + 1);
  }
  for (const key of required) model[key] ??= extraSchema ? arbitraryFor(extraSchema, root, depth + 1) : anyJson;
  const known = fc.record(model, { requiredKeys: required, noNullPrototype: true });
  if (!extraSchema || depth >= MAX_DEPTH) return known;
  const keys = (s.propertyNames ? stringArbitrary(s.propertyNames) : fc.string({ maxLength: 12 })).filter((k) => !(k in model));
  const extras = fc.dictionary(keys, arbitraryFor(extraSchema, root, depth + 1), { maxKeys: 3, noNullPrototype: true });
  return fc.tuple(known, extras).map(([fields, more]) => ({ ...more, ...fields }));
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith("#")) throw new Error(`jsonSchemaArbitrary: only local $ref is supported, got ${ref}`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    node = (node as Record<string, unknown> | undefined)?.[key];
  }
  if (node === undefined) throw new Error(`jsonSchemaArbitrary: $ref ${ref} points nowhere`);
  return node as JsonSchema;
}

/** Folds `allOf` into one schema: properties and `required` are joined; any other keyword, the last part wins. */
function mergeAllOf(s: JsonSchema, root: JsonSchema): JsonSchema {
  const { allOf = [], ...own } = s;
  return allOf.reduce<JsonSchema>((merged, declaredPart) => {
    const part = declaredPart.$ref !== undefined ? resolveRef(root, declaredPart.$ref) : declaredPart;
    const flat = part.allOf ? mergeAllOf(part, root) : part;
    const properties = { ...merged.properties };
    for (const [key, p] of Object.entries(flat.properties ?? {})) properties[key] = properties[key] ? { allOf: [properties[key], p] } : p;
    const required = [...new Set([...(merged.required ?? []), ...(flat.required ?? [])])];
    return { ...merged, ...flat, ...(flat.properties || merged.properties ? { properties } : {}), ...(required.length > 0 ? { required } : {}) };
  }, own);
}

// ---------- malformed values ----------

interface Target {
  path: Path;
  schema: JsonSchema; // resolved: refs followed, allOf merged, the union branch this value took
  value: unknown;
  required: boolean;
  nullable: boolean;
  expected: Set<string> | "any"; // JSON types any branch of the declared schema accepts
}

const REMOVE = Symbol("remove");

/** Mutations of valid values, each labelled; only the kinds that apply to a given value are drawn for it. */
export function malformedArbitrary(schema: z.ZodType): fc.Arbitrary<MalformedValue> {
  const root = toJsonSchema(schema);
  return validArbitrary(schema).chain((valid) => {
    const targets: Target[] = [];
    collectTargets(valid, root, root, [], false, targets);
    const options = MALFORMED_LABELS.map((label) => MUTATIONS[label](valid, targets)).filter((a) => a !== undefined);
    return fc.oneof(...options);
  });
}

type Mutation = (valid: unknown, targets: Target[]) => fc.Arbitrary<MalformedValue> | undefined;

function mutateAt(label: MalformedLabel, valid: unknown, targets: Target[], replacement: (t: Target) => fc.Arbitrary<unknown>): fc.Arbitrary<MalformedValue> | undefined {
  if (targets.length === 0) return undefined;
  return fc.constantFrom(...targets).chain((t) => replacement(t).map((v) => ({ label, path: t.path, value: setAt(valid, t.path, v) })));
}

const WRONG_TYPE_VALUES: Record<string, unknown[]> = {
  string: ["1", "true", "", "{}"],
  number: [3.5, -0.25], // not integers: where only integers go, a fraction is the type error
  integer: [0, -1, 7],
  boolean: [true, false],
  object: [{}, { a: 1 }],
  array: [[], [1, "a"]],
};

/** Nesting stays under ~3,000 levels: deeper, JSON.stringify overflows, so the value could not be sent as JSON text. */
function hugeValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom("x", "9", "é", "\uD83C\uDFE0").map((c) => c.repeat(HUGE_LENGTH)),
    fc.constantFrom(1e308, -1e308),
    fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, "NaN", "Infinity", "-Infinity", "1e999"),
    fc.constantFrom(1_000, 2_500).map((n) => nest<unknown>(n, (inner) => [inner], [])),
    fc.constantFrom(1_000, 2_500).map((n) => nest<unknown>(n, (inner) => ({ a: inner }), {})),
    fc.constant(100_000).map((n) => Array.from({ length: n }, () => 0)),
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const objectTargets = (targets: Target[]) => targets.filter((t) => isObject(t.value));

const MUTATIONS: Record<MalformedLabel, Mutation> = {
  "missing-required-field": (valid, targets) =>
    mutateAt("missing-required-field", valid, targets.filter((t) => t.required), () => fc.constant(REMOVE)),
  "wrong-type": (valid, targets) =>
    mutateAt("wrong-type", valid, targets.filter((t) => wrongTypeValues(t.expected).length > 0), (t) => fc.constantFrom(...wrongTypeValues(t.expected))),
  "null-field": (valid, targets) =>
    mutateAt("null-field", valid, targets.filter((t) => !t.nullable && t.expected !== "any"), () => fc.constant(null)),
  "huge-value": (valid, targets) => mutateAt("huge-value", valid, targets, hugeValue),
  "unknown-discriminator": (valid, targets) =>
    mutateAt("unknown-discriminator", valid, targets.filter((t) => "const" in t.schema), (t) => fc.constantFrom(...outsideOf([t.schema.const]))),
  "out-of-enum": (valid, targets) =>
    mutateAt("out-of-enum", valid, targets.filter((t) => t.schema.enum !== undefined), (t) => fc.constantFrom(...outsideOf(t.schema.enum ?? []))),
  "extra-field": (valid, targets) =>
    mutateAt("extra-field", valid, objectTargets(targets), (t) =>
      fc
        .tuple(fc.oneof(fc.constantFrom("unexpected", "Event", "extra_field", "", " "), fc.string({ minLength: 1, maxLength: 12 })), fc.jsonValue({ maxDepth: 1 }))
        .filter(([key]) => !(key in (t.value as object)))
        .map(([key, extra]) => withOwnKey(t.value as object, key, extra)),
    ),
  "prototype-pollution": (valid, targets) =>
    mutateAt("prototype-pollution", valid, objectTargets(targets), (t) =>
      fc
        .constantFrom<[string, unknown]>(["__proto__", { polluted: true }], ["constructor", { prototype: { polluted: true } }], ["prototype", { polluted: true }], ["__proto__", null])
        .map(([key, extra]) => withOwnKey(t.value as object, key, extra)),
    ),
  "unicode-oddity": (valid, targets) =>
    mutateAt("unicode-oddity", valid, targets.filter((t) => typeof t.value === "string"), (t) =>
      fc.constantFrom(...ODD_STRINGS).chain((odd) => fc.constantFrom(odd, `${String(t.value)}${odd}`, `${odd}${String(t.value)}`)),
    ),
};

function wrongTypeValues(expected: Set<string> | "any"): unknown[] {
  if (expected === "any") return [];
  const accepts = (type: string) => expected.has(type) || (type === "integer" && expected.has("number"));
  return Object.entries(WRONG_TYPE_VALUES).flatMap(([type, vs]) => (accepts(type) ? [] : vs));
}

function outsideOf(allowed: unknown[]): unknown[] {
  const strings = allowed.filter((v): v is string => typeof v === "string");
  const candidates = [
    "unknown_value",
    "",
    ...strings.flatMap((v) => [v.toUpperCase(), `${v} `, `${v}_v2`]),
    ...allowed.filter((v): v is number => typeof v === "number").map((v) => v + 1000),
  ];
  return [...new Set(candidates)].filter((c) => !allowed.includes(c));
}

function withOwnKey(value: object, key: string, extra: unknown): object {
  // defineProperty, not assignment: `copy.__proto__ = x` would swap the prototype instead of adding a key to send.
  return Object.defineProperty({ ...value }, key, { value: extra, enumerable: true, writable: true, configurable: true });
}

function nest<T>(depth: number, wrap: (inner: T) => T, leaf: T): T {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

/** Copies only along `path`; REMOVE deletes the key or element there. */
function setAt(value: unknown, path: Path, replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  if (Array.isArray(value)) {
    const copy = value.slice();
    if (rest.length === 0 && replacement === REMOVE) copy.splice(Number(head), 1);
    else copy[Number(head)] = setAt(copy[Number(head)], rest, replacement);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && replacement === REMOVE) delete copy[head];
  else Object.defineProperty(copy, head, { value: setAt(copy[head], rest, replacement), enumerable: true, writable: true, configurable: true });
  return copy;
}

function collectTargets(value: unknown, declared: JsonSchema, root: JsonSchema, path: Path, required: boolean, out: Target[]): void {
  const s = resolveFor(value, declared, root);
  out.push({ path, schema: s, value, required, nullable: acceptsNull(declared, root), expected: expectedTypes(declared, root) });
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const itemSchema = s.prefixItems?.[i] ?? (typeof s.items === "object" ? s.items : {});
      collectTargets(item, itemSchema, root, [...path, i], false, out);
    });
  } else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      const child = s.properties?.[key] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : {});
      collectTargets(v, child, root, [...path, key], s.required?.includes(key) ?? false, out);
    }
  }
}

/** The schema a value was generated from: refs followed, allOf merged, and the union branch that fits it. */
function resolveFor(value: unknown, declared: JsonSchema, root: JsonSchema): JsonSchema {
  let s = declared;
  for (let hops = 0; hops < 50; hops++) {
    if (s.$ref !== undefined) s = resolveRef(root, s.$ref);
    else if (s.allOf) s = mergeAllOf(s, root);
    else if (s.anyOf ?? s.oneOf) {
      const variants = (s.anyOf ?? s.oneOf) as JsonSchema[];
      s = variants.find((v) => fitsShallow(value, resolveFor(value, v, root))) ?? variants[0] ?? {};
    } else return s;
  }
  return s;
}

/** Type, const and enum of the value and of its tagged properties: enough to pick a discriminated union's branch. */
function fitsShallow(value: unknown, s: JsonSchema): boolean {
  if ("const" in s && s.const !== value) return false;
  if (s.enum && !s.enum.includes(value)) return false;
  const types = typesOf(s);
  if (types.length > 0 && !types.some((t) => t === jsonTypeOf(value) || (t === "number" && jsonTypeOf(value) === "integer"))) return false;
  if (!isObject(value)) return true;
  return Object.entries(s.properties ?? {}).every(([key, p]) => {
    if ("const" in p) return value[key] === p.const;
    return p.enum ? p.enum.includes(value[key]) : true;
  });
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function expectedTypes(declared: JsonSchema, root: JsonSchema, seen = 0): Set<string> | "any" {
  if (seen > 20) return "any";
  if (declared.$ref !== undefined) return expectedTypes(resolveRef(root, declared.$ref), root, seen + 1);
  const s = declared.allOf ? mergeAllOf(declared, root) : declared;
  const variants = s.anyOf ?? s.oneOf;
  if (variants) {
    const all = new Set<string>();
    for (const v of variants) {
      const types = expectedTypes(v, root, seen + 1);
      if (types === "any") return "any";
      types.forEach((t) => all.add(t));
    }
    return all;
  }
  const literals = "const" in s ? [s.const] : s.enum;
  if (literals) return new Set(literals.map(jsonTypeOf));
  const types = typesOf(s);
  return types.length === 0 ? "any" : new Set(types);
}

function acceptsNull(declared: JsonSchema, root: JsonSchema): boolean {
  const types = expectedTypes(declared, root);
  return types === "any" || types.has("null");
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
