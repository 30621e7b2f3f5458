/** The non-money facts: property type, bedrooms, purpose, timeline, credit type, pre-approval. */
import type { CreditType } from "../../domain/vocabulary";
import type { PROPERTY_TYPES } from "../lead-facts";
import { fold, NUMBER_WORD_PATTERN, parseNumber } from "./normalize";

type PropertyType = (typeof PROPERTY_TYPES)[number];

const PROPERTY_WORDS: [RegExp, PropertyType][] = [
  [/\b(departamentos?|departamentito|depas?|deptos?|dptos?|apartamentos?|penthouse|ph|loft)\b/g, "departamento"],
  [/\b(casas?|casita|residencia|townhouse)\b/g, "casa"],
  [/\b(terrenos?|lotes?|predios?)\b/g, "terreno"],
  [/\b(local(es)?( comercial(es)?)?)\b/g, "local"],
  [/\b(oficinas?|consultorios?)\b/g, "oficina"],
  [/\b(bodegas?|nave industrial)\b/g, "bodega"],
];

/** The last type mentioned that is not negated ("no busco casa, busco depa" → departamento). */
export function extractPropertyType(text: string): PropertyType | null {
  const folded = fold(text);
  let best: { type: PropertyType; at: number } | null = null;
  for (const [pattern, type] of PROPERTY_WORDS) {
    for (const match of folded.matchAll(pattern)) {
      const at = match.index ?? 0;
      if (type === "local" && /\blocal\b/.test(match[0]) && !/comercial/.test(match[0]) && /\b(en|zona|del?)\s+$/.test(folded.slice(Math.max(0, at - 6), at))) continue;
      const before = folded.slice(Math.max(0, at - 16), at);
      if (/\bno\b( (busco|quiero|me interesa|es|necesito))?( una?)?\s*$/.test(before) || /\bni\s+$/.test(before)) continue;
      if (!best || at > best.at) best = { type, at };
    }
  }
  return best?.type ?? null;
}

export function extractBedrooms(text: string): number | null {
  const match = new RegExp(`\\b(\\d+|${NUMBER_WORD_PATTERN})\\s*(recamaras?|cuartos?|habitacion(es)?|habs?|recs?|dormitorios?)\\b`).exec(fold(text));
  if (!match) return null;
  const count = parseNumber(match[1]!);
  return count !== null && count >= 0 && count <= 20 ? count : null;
}

export function extractPurpose(text: string): "compra" | "renta" | null {
  const folded = fold(text);
  const rent = [...folded.matchAll(/\b(rentar|renta|arrendar|alquilar|alquiler)\b/g)].map((m) => m.index ?? 0);
  const buy = [
    ...folded.matchAll(/\b(comprar|compra|adquirir|invertir|credito|hipoteca|infonavit|fovisss?te|cofinavit|contado|efectivo|banco|bancario|pre ?aprobad\w*|pre ?calificad\w*)\b/g),
  ].map((m) => m.index ?? 0);
  if (rent.length === 0) return buy.length > 0 ? "compra" : null; // a credit or cash payment means buying
  // Both: the last explicit verb wins ("no quiero rentar, quiero comprar").
  const lastBuyVerb = Math.max(-1, ...buy.filter((at) => /^(comprar|compra|adquirir|invertir)\b/.test(folded.slice(at, at + 10))));
  return Math.max(...rent) > lastBuyVerb ? "renta" : "compra";
}

export function extractTimeline(text: string): string | null {
  const folded = fold(text);
  if (/(lo antes posible|urge|urgente|cuanto antes|inmediat|ya mismo|de inmediato|asap)/.test(folded)) return "lo antes posible";
  const span = new RegExp(`\\ben (?:unos |los proximos |las proximas )?(\\d+|${NUMBER_WORD_PATTERN}|medio) (meses|mes|anos|ano|semanas|semana)\\b`).exec(folded);
  if (span) return span[1] === "medio" ? `medio ${span[2]}` : `${span[1]} ${span[2]!.replace("ano", "año")}`;
  if (/(proximo ano|ano que entra|siguiente ano|el otro ano)/.test(folded)) return "el próximo año";
  if (/(este ano|antes de que acabe el ano|fin de ano)/.test(folded)) return "este año";
  const month = /\b(?:para|en|antes de) (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)\b/.exec(folded);
  if (month) return month[1]!;
  if (/(sin prisa|no tengo prisa|solo estoy viendo|nomas viendo|explorando)/.test(folded)) return "sin prisa";
  return null;
}

export function extractCreditType(text: string): CreditType | null {
  const folded = fold(text);
  if (/\bcofinavit\b/.test(folded)) return "cofinavit";
  if (/\binfonavit\b/.test(folded)) return "infonavit";
  if (/\bfovisss?te\b/.test(folded)) return "fovissste";
  if (/(de contado|al contado|\bcontado\b|en efectivo|\bcash\b|recursos propios)/.test(folded)) return "contado";
  if (/(credito bancario|hipoteca|credito hipotecario|\bbanco\b|\bbancario\b|bbva|banorte|santander|hsbc|scotiabank|banamex)/.test(folded)) return "bancario";
  if (/(credito (de|del) (mi )?(trabajo|empresa)|issfam|pemex|cfe)/.test(folded)) return "otro";
  return null;
}

export function extractPreapproved(text: string): boolean | null {
  const folded = fold(text);
  const match = /(pre ?calificad|pre ?aprobad|precalificacion|preaprobacion|pre-calificad|pre-aprobad|precalificaron|preaprobaron|ya me aprobaron|ya tengo aprobado)/.exec(folded);
  if (!match) return null;
  const before = folded.slice(Math.max(0, (match.index ?? 0) - 20), match.index ?? 0);
  return !/\b(no|aun no|todavia no|sin)\b/.test(before);
}
