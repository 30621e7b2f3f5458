/**
 * Malformed values: a valid value with one labelled mutation (a field dropped, the wrong type, null, a huge
 * value, an unknown tag, an extra or prototype key, an odd string), applied at any depth of the schema.
 */
import fc from "fast-check";
import type { z } from "zod";
import { mergeAllOf, resolveRef, toJsonSchema, typesOf, validArbitrary, type JsonSchema } from "./json-schema-arbitrary";

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

export const HUGE_LENGTH = 100_001;

interface Target {
  path: Path;
  schema: JsonSchema; // resolved: refs followed, allOf merged, the union branch this value took
  value: unknown;
  required: boolean;
  nullable: boolean;
  expected: Set<string> | "any"; // JSON types any branch of the declared schema accepts
}

/** Put where a value goes, it deletes the key or element instead (see `setAt`). */
export const REMOVE = Symbol("remove");

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
export function setAt(value: unknown, path: Path, replacement: unknown): unknown {
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
