/**
 * Valid values for a JSON Schema, and for a zod schema through its JSON Schema: what every other fuzz
 * arbitrary starts from (malformed values mutate these; raw frames and form bodies serialize them).
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

const MAX_DEPTH = 4;

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

export function typesOf(s: JsonSchema): string[] {
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

export function resolveRef(root: JsonSchema, ref: string): JsonSchema {
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
export function mergeAllOf(s: JsonSchema, root: JsonSchema): JsonSchema {
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
