/**
 * Precision and recall of the offline extractor on labelled lead messages.
 * A field counts as found when the message's label has it and the extractor
 * returned the same value: numbers exactly, places leniently (case, accents,
 * punctuation, word order and articles aside, or one name containing the other). "budget" is the pair
 * (budget_min, budget_max) as one field.
 */
import { extractLeadFacts } from "../../src/agents/offline-extractor";
import type { LeadFacts } from "../../src/agents/lead-facts";
import { fold } from "../../src/agents/extraction/normalize";

export interface Sample {
  text: string;
  expected: Record<string, unknown>;
}

export const SCORED_FIELDS = [
  "budget",
  "location",
  "property_type",
  "bedrooms",
  "purpose",
  "timeline",
  "monthly_income",
  "credit_type",
  "preapproved",
  "down_payment",
  "currency",
] as const;
type Field = (typeof SCORED_FIELDS)[number];

function valueOf(facts: Record<string, unknown>, field: Field): unknown {
  if (field === "budget") {
    const min = facts.budget_min ?? null;
    const max = facts.budget_max ?? null;
    return min === null && max === null ? undefined : `${min}-${max}`;
  }
  return facts[field] ?? undefined;
}

// Words that change how a place is written, not which place it is ("la Roma", "Chapultepec de Guadalajara").
const PLACE_FILLERS = new Set(["de", "del", "la", "el", "los", "las", "en", "y", "o", "colonia", "col"]);

function placeWords(place: string): Set<string> {
  return new Set(fold(place).replace(/[^a-z0-9 ]/g, " ").split(/\s+/).filter((word) => word && !PLACE_FILLERS.has(word)));
}

/** One place set of words within the other: "Polanco" matches "Polanco, CDMX", "Providencia, Guadalajara" matches "Guadalajara, Providencia". */
function samePlace(expected: string, actual: string): boolean {
  const a = placeWords(expected);
  const b = placeWords(actual);
  const within = (small: Set<string>, big: Set<string>) => small.size > 0 && [...small].every((word) => big.has(word));
  return within(a, b) || within(b, a);
}

function same(field: Field, expected: unknown, actual: unknown): boolean {
  if (field === "location" && typeof expected === "string" && typeof actual === "string") return samePlace(expected, actual);
  return expected === actual;
}

export interface FieldScore {
  precision: number;
  recall: number;
  true_positive: number;
  false_positive: number;
  false_negative: number;
}

export function scoreExtractor(samples: readonly Sample[]) {
  const counts = Object.fromEntries(SCORED_FIELDS.map((f) => [f, { tp: 0, fp: 0, fn: 0 }])) as Record<Field, { tp: number; fp: number; fn: number }>;
  const misses: { text: string; field: Field; expected: unknown; actual: unknown }[] = [];
  for (const sample of samples) {
    const predicted = extractLeadFacts(sample.text) as LeadFacts & Record<string, unknown>;
    for (const field of SCORED_FIELDS) {
      const expected = valueOf(sample.expected, field);
      const actual = valueOf(predicted, field);
      const c = counts[field];
      if (expected !== undefined && actual !== undefined && same(field, expected, actual)) c.tp++;
      else {
        if (actual !== undefined) c.fp++;
        if (expected !== undefined) c.fn++;
        if (actual !== undefined || expected !== undefined) misses.push({ text: sample.text, field, expected, actual });
      }
    }
  }
  const fields = Object.fromEntries(
    SCORED_FIELDS.map((field) => {
      const { tp, fp, fn } = counts[field];
      const score: FieldScore = {
        precision: tp + fp === 0 ? 1 : round(tp / (tp + fp)),
        recall: tp + fn === 0 ? 1 : round(tp / (tp + fn)),
        true_positive: tp,
        false_positive: fp,
        false_negative: fn,
      };
      return [field, score];
    }),
  ) as Record<Field, FieldScore>;
  return { fields, misses };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
